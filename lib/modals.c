#include "modals.h"
