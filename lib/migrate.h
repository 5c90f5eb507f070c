#ifndef HUB_MIGRATE_H
#define HUB_MIGRATE_H
/* stub: to be written */
#endif
