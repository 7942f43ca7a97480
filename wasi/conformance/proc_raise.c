// exit: 143
// proc_raise: ignored signals return, a terminating signal ends the program with 128 + signal.
#include <stdint.h>
#include "check.h"

// Debian's wasi-libc dropped __wasi_proc_raise from libc.a; import the host function directly.
int32_t raw_proc_raise(int32_t sig)
    __attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__("proc_raise")));

int main(void) {
  WASI(raw_proc_raise(0), 0);
  WASI(raw_proc_raise(16 /* CHLD */), 0);
  WASI(raw_proc_raise(99), 28 /* EINVAL */);
  printf("raising\n");
  fflush(stdout);
  raw_proc_raise(15 /* TERM */);
  printf("FAIL still running\n");
  return 0;
}
