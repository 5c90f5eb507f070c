#ifndef HUB_MSGSYNC_H
#define HUB_MSGSYNC_H
#endif
