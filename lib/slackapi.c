#include "slackapi.h"
