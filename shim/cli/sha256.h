/* SHA-256 (FIPS 180-4), for the launcher's socket names: small enough to own, and it spares the
   launcher a dependency on a crypto library. */
#ifndef RUNWASI_SHA256_H
#define RUNWASI_SHA256_H
#include <stddef.h>

void sha256(const void *data, size_t len, unsigned char digest[32]);

#endif
