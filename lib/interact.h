#ifndef HUB_INTERACT_H
#define HUB_INTERACT_H
#endif
