// Shared by the conformance programs: checks that print a FAIL line (and so break the expected
// stdout) instead of aborting, so one run reports every divergence.
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define OK(call)                                                                        \
  do {                                                                                  \
    errno = 0;                                                                          \
    long r_ = (long)(call);                                                             \
    if (r_ < 0) printf("FAIL %d: %s: errno %d (%s)\n", __LINE__, #call, errno, strerror(errno)); \
  } while (0)

#define ERR(call, want)                                                                 \
  do {                                                                                  \
    errno = 0;                                                                          \
    long r_ = (long)(call);                                                             \
    if (r_ >= 0 || errno != (want))                                                     \
      printf("FAIL %d: %s: got %ld errno %d (%s), want %s\n", __LINE__, #call, r_, errno, \
             strerror(errno), #want);                                                   \
  } while (0)

#define TRUE(cond)                                                     \
  do {                                                                 \
    if (!(cond)) printf("FAIL %d: %s\n", __LINE__, #cond);             \
  } while (0)

// For raw __wasi_* calls, which return the errno instead of setting it.
#define WASI(call, want)                                                               \
  do {                                                                                 \
    int e_ = (int)(call);                                                              \
    if (e_ != (want)) printf("FAIL %d: %s: errno %d, want %s\n", __LINE__, #call, e_, #want); \
  } while (0)

// Debian's wasi-libc (2022-05) rejects UTIME_NOW and UTIME_OMIT in futimens/utimensat with EINVAL
// (either header value) before calling the host, so the programs use the raw calls for those.
