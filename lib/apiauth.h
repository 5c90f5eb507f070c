#ifndef HUB_APIAUTH_H
#define HUB_APIAUTH_H
#endif
