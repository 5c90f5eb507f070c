#ifndef HUB_LOG_H
#define HUB_LOG_H
/* stub: to be written */
#endif
