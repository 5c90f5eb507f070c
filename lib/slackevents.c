#include "slackevents.h"
