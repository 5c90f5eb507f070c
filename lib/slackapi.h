#ifndef HUB_SLACKAPI_H
#define HUB_SLACKAPI_H
#endif
