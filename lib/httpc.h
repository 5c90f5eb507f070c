#ifndef HUB_HTTPC_H
#define HUB_HTTPC_H
/* stub: to be written */
#endif
