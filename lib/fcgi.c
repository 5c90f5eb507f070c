#include "fcgi.h"
