#ifndef HUB_GROUPS_H
#define HUB_GROUPS_H
#endif
