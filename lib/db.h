#ifndef HUB_DB_H
#define HUB_DB_H
/* stub: to be written */
#endif
