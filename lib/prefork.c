#include "prefork.h"
