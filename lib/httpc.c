#include "httpc.h"
