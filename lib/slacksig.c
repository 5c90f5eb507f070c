#include "slacksig.h"
