#include "apiauth.h"
