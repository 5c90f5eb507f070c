#include "connadmin.h"
