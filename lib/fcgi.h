#ifndef HUB_FCGI_H
#define HUB_FCGI_H
/* stub: to be written */
#endif
