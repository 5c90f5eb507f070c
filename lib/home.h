#ifndef HUB_HOME_H
#define HUB_HOME_H
#endif
