#include "deliver.h"
