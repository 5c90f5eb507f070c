#ifndef HUB_JOBS_H
#define HUB_JOBS_H
/* stub: to be written */
#endif
