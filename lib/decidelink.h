#ifndef HUB_DECIDELINK_H
#define HUB_DECIDELINK_H
#endif
