#include "groups.h"
