#include "jobs.h"
