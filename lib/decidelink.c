#include "decidelink.h"
