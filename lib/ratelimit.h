#ifndef HUB_RATELIMIT_H
#define HUB_RATELIMIT_H
#endif
