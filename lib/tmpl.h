#ifndef HUB_TMPL_H
#define HUB_TMPL_H
/* stub: to be written */
#endif
