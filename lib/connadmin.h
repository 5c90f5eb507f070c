#ifndef HUB_CONNADMIN_H
#define HUB_CONNADMIN_H
#endif
