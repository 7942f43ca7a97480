// Opens /race/canary over and over while the host swaps /race between a directory and a symlink
// that leads out of the preopen; prints how the attempts ended and anything not "inside".
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3000;
  int opened = 0, leaked = 0, errs[100] = {0};
  for (int i = 0; i < n; i++) {
    int fd = open("/race/canary", O_RDONLY);
    if (fd < 0) {
      if (errno > 0 && errno < 100) errs[errno]++;
      continue;
    }
    char buf[32] = {0};
    read(fd, buf, sizeof buf - 1);
    close(fd);
    opened++;
    if (strcmp(buf, "inside") != 0) {
      leaked++;
      printf("LEAK %s\n", buf);
    }
  }
  printf("opened %d leaked %d\n", opened, leaked);
  for (int e = 1; e < 100; e++) if (errs[e]) printf("errno %d %d\n", e, errs[e]);
  return 0;
}
