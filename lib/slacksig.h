#ifndef HUB_SLACKSIG_H
#define HUB_SLACKSIG_H
/* stub: to be written */
#endif
