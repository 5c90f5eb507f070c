#ifndef HUB_OAUTH_H
#define HUB_OAUTH_H
#endif
