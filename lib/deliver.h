#ifndef HUB_DELIVER_H
#define HUB_DELIVER_H
#endif
