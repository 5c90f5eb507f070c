#ifndef HUB_CRYPTO_H
#define HUB_CRYPTO_H
/* stub: to be written */
#endif
