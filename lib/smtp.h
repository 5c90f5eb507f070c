#ifndef HUB_SMTP_H
#define HUB_SMTP_H
#endif
