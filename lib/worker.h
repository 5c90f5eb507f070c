#ifndef HUB_WORKER_H
#define HUB_WORKER_H
#endif
