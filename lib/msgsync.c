#include "msgsync.h"
