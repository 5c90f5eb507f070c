#ifndef HUB_APP_H
#define HUB_APP_H
/* stub: to be written */
#endif
