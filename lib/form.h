#ifndef HUB_FORM_H
#define HUB_FORM_H
/* stub: to be written */
#endif
