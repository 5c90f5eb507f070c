#ifndef HUB_CONF_H
#define HUB_CONF_H
/* stub: to be written */
#endif
