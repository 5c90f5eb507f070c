#ifndef HUB_WEBDRIVER_H
#define HUB_WEBDRIVER_H
#endif
