#ifndef HUB_BLOCKKIT_H
#define HUB_BLOCKKIT_H
/* stub: to be written */
#endif
