// Waits for stdin with poll_oneoff (5 s timeout), then reads what came; repeats until EOF.
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void) {
  for (;;) {
    __wasi_subscription_t subs[2];
    memset(subs, 0, sizeof subs);
    subs[0].userdata = 1;
    subs[0].u.tag = __WASI_EVENTTYPE_FD_READ;
    subs[0].u.u.fd_read.file_descriptor = 0;
    subs[1].userdata = 2;
    subs[1].u.tag = __WASI_EVENTTYPE_CLOCK;
    subs[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    subs[1].u.u.clock.timeout = 5000000000ull;
    __wasi_event_t ev[2];
    __wasi_size_t n = 0;
    if (__wasi_poll_oneoff(subs, ev, 2, &n) != 0 || n < 1) return 1;
    if (ev[0].userdata != 1) {
      printf("timeout\n");
      return 2;
    }
    int hangup = ev[0].fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP;
    char buf[64] = {0};
    ssize_t got = read(0, buf, sizeof buf - 1);
    printf("ready %llu hangup %d read %zd %s", (unsigned long long)ev[0].fd_readwrite.nbytes,
           hangup != 0, got, got > 0 ? buf : "\n");
    fflush(stdout);
    if (got <= 0) return 0;
  }
}
