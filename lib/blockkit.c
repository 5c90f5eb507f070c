#include "blockkit.h"
