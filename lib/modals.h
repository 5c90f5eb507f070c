#ifndef HUB_MODALS_H
#define HUB_MODALS_H
#endif
