#ifndef HUB_METRICS_H
#define HUB_METRICS_H
#endif
