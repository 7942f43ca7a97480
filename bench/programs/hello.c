// The WASI row's smallest program: wasi-libc's start-up (args, environ, preopens), one write and
// proc_exit — what a host pays per instance, with next to no guest work.
#include <stdio.h>

int main(void) {
  puts("Hello from wasm!");
  return 0;
}
