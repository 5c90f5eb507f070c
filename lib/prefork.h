#ifndef HUB_PREFORK_H
#define HUB_PREFORK_H
/* stub: to be written */
#endif
