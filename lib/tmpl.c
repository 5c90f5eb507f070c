#include "tmpl.h"
