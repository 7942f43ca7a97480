// Writes argv[1] bytes (default 1 MiB) to stdout: byte k is 'a' + k % 26.
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long total = argc > 1 ? atol(argv[1]) : 1 << 20;
  static char buf[65536 + 26];
  for (int i = 0; i < (int)sizeof buf; i++) buf[i] = 'a' + i % 26;
  long done = 0;
  while (done < total) {
    long chunk = total - done < 65536 ? total - done : 65536;
    ssize_t w = write(1, buf + done % 26, chunk);
    if (w <= 0) return 3;
    done += w;
  }
  return 0;
}
