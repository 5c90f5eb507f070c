#ifndef HUB_JSON_H
#define HUB_JSON_H
/* stub: to be written */
#endif
