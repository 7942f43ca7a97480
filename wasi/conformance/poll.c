// poll_oneoff: relative and absolute clocks, fd readiness on files and stdio, and errors.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>
#include "check.h"

static __wasi_subscription_t clock_sub(uint64_t userdata, __wasi_clockid_t id, uint64_t timeout,
                                       int abs) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = userdata;
  s.u.tag = __WASI_EVENTTYPE_CLOCK;
  s.u.u.clock.id = id;
  s.u.u.clock.timeout = timeout;
  s.u.u.clock.flags = abs ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
  return s;
}

static __wasi_subscription_t fd_sub(uint64_t userdata, __wasi_eventtype_t type, int fd) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = userdata;
  s.u.tag = type;
  s.u.u.fd_read.file_descriptor = fd;
  return s;
}

static uint64_t now(__wasi_clockid_t id) {
  __wasi_timestamp_t t = 0;
  __wasi_clock_time_get(id, 1, &t);
  return t;
}

int main(void) {
  __wasi_event_t ev[4];
  __wasi_size_t n = 0;

  // A relative 20 ms sleep.
  __wasi_subscription_t subs[4];
  subs[0] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, 20000000, 0);
  uint64_t t0 = now(__WASI_CLOCKID_MONOTONIC);
  WASI(__wasi_poll_oneoff(subs, ev, 1, &n), 0);
  uint64_t slept = now(__WASI_CLOCKID_MONOTONIC) - t0;
  TRUE(n == 1 && ev[0].userdata == 7 && ev[0].type == __WASI_EVENTTYPE_CLOCK && ev[0].error == 0);
  TRUE(slept >= 20000000);

  // The earlier of two clocks fires; an absolute time in the past fires at once.
  subs[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
  subs[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, 10000000, 0);
  WASI(__wasi_poll_oneoff(subs, ev, 2, &n), 0);
  TRUE(n == 1 && ev[0].userdata == 2);
  subs[0] = clock_sub(3, __WASI_CLOCKID_REALTIME, now(__WASI_CLOCKID_REALTIME) - 1000, 1);
  WASI(__wasi_poll_oneoff(subs, ev, 1, &n), 0);
  TRUE(n == 1 && ev[0].userdata == 3);
  subs[0] = clock_sub(4, __WASI_CLOCKID_MONOTONIC, now(__WASI_CLOCKID_MONOTONIC) + 10000000, 1);
  WASI(__wasi_poll_oneoff(subs, ev, 1, &n), 0);
  TRUE(n == 1 && ev[0].userdata == 4);

  // A regular file is always ready; for reading it reports the bytes left.
  int fd = open("/sandbox/f", O_RDWR | O_CREAT, 0644);
  TRUE(write(fd, "12345", 5) == 5);
  TRUE(lseek(fd, 1, SEEK_SET) == 1);
  subs[0] = fd_sub(10, __WASI_EVENTTYPE_FD_READ, fd);
  subs[1] = fd_sub(11, __WASI_EVENTTYPE_FD_WRITE, fd);
  subs[2] = clock_sub(12, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
  WASI(__wasi_poll_oneoff(subs, ev, 3, &n), 0);
  TRUE(n == 2);
  TRUE(ev[0].userdata == 10 && ev[0].type == __WASI_EVENTTYPE_FD_READ && ev[0].fd_readwrite.nbytes == 4);
  TRUE(ev[1].userdata == 11 && ev[1].type == __WASI_EVENTTYPE_FD_WRITE && ev[1].error == 0);

  // stdin (a file here) is readable; stdout writable.
  subs[0] = fd_sub(20, __WASI_EVENTTYPE_FD_READ, 0);
  subs[1] = fd_sub(21, __WASI_EVENTTYPE_FD_WRITE, 1);
  WASI(__wasi_poll_oneoff(subs, ev, 2, &n), 0);
  TRUE(n == 2 && ev[0].userdata == 20 && ev[1].userdata == 21);
  char buf[16] = {0};
  TRUE(read(0, buf, sizeof buf) == 6 && memcmp(buf, "input\n", 6) == 0);

  // Errors: a bad fd is reported in its event; an unknown clock too; no subscriptions is EINVAL.
  subs[0] = fd_sub(30, __WASI_EVENTTYPE_FD_READ, 77);
  WASI(__wasi_poll_oneoff(subs, ev, 1, &n), 0);
  TRUE(n == 1 && ev[0].userdata == 30 && ev[0].error == __WASI_ERRNO_BADF);
  subs[0] = clock_sub(31, 99, 0, 0);
  WASI(__wasi_poll_oneoff(subs, ev, 1, &n), 0);
  TRUE(n == 1 && ev[0].error == __WASI_ERRNO_INVAL);
  WASI(__wasi_poll_oneoff(subs, ev, 0, &n), __WASI_ERRNO_INVAL);

  // libc's sleep family goes through poll_oneoff.
  struct timespec ts = {0, 1000000};
  OK(nanosleep(&ts, NULL));
  OK(usleep(1000));
  printf("done\n");
  return 0;
}
