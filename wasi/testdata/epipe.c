// Writes to stdout and reports the errno (to stderr) when nobody reads.
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
  ssize_t w = write(1, "x", 1);
  fprintf(stderr, "write %zd errno %d\n", w, w < 0 ? errno : 0);
  return 0;
}
