#include "interact.h"
