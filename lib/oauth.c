#include "oauth.h"
