// clock_res_get, clock_time_get, random_get, sched_yield.
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>
#include "check.h"

int main(void) {
  struct timespec res, a, b;
  OK(clock_getres(CLOCK_MONOTONIC, &res));
  TRUE(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);
  OK(clock_getres(CLOCK_REALTIME, &res));
  TRUE(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);
  OK(clock_gettime(CLOCK_REALTIME, &a));
  TRUE(a.tv_sec > 1600000000);  // after 2020
  TRUE(time(NULL) >= a.tv_sec);
  OK(clock_gettime(CLOCK_MONOTONIC, &a));
  for (int i = 0; i < 1000; i++) {
    OK(clock_gettime(CLOCK_MONOTONIC, &b));
    if (b.tv_sec < a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec < a.tv_nsec)) {
      printf("FAIL monotonic went back\n");
      break;
    }
    a = b;
  }
  OK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a));
  OK(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b));
  TRUE(a.tv_sec >= 0 && b.tv_sec >= 0);
  __wasi_timestamp_t t;
  WASI(__wasi_clock_time_get(42, 1, &t), __WASI_ERRNO_INVAL);
  WASI(__wasi_clock_res_get(42, &t), __WASI_ERRNO_INVAL);

  static unsigned char buf[300000];
  memset(buf, 0, sizeof buf);
  WASI(__wasi_random_get(buf, sizeof buf), 0);  // more than one 64 KiB chunk
  int zeros = 0;
  for (size_t i = sizeof buf - 1000; i < sizeof buf; i++) zeros += buf[i] == 0;
  TRUE(zeros < 50);
  unsigned char small[16] = {0};
  OK(getentropy(small, sizeof small));
  TRUE(arc4random() != arc4random() || arc4random() != arc4random());
  OK(sched_yield());
  printf("done\n");
  return 0;
}
