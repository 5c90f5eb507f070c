/* being written */
#include "webdriver.h"
