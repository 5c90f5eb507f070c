#ifndef HUB_RENDER_H
#define HUB_RENDER_H
#endif
