// Opens files until the host says EMFILE; prints how many it got.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
int main(void) {
  int n = 0;
  for (;;) {
    int fd = open("/sandbox/f", O_RDONLY | O_CREAT, 0644);
    if (fd < 0) {
      printf("opened %d then errno %d\n", n, errno);
      return 0;
    }
    n++;
  }
}
