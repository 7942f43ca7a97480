// A read-only preopen: reads work, every change is EROFS.
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>
#include "check.h"

int main(void) {
  char buf[32] = {0};
  int fd = open("/ro/file.txt", O_RDONLY);
  OK(fd);
  TRUE(read(fd, buf, sizeof buf) == 10);
  printf("%s", buf);
  ERR(ftruncate(fd, 0), EBADF);
  struct timespec times[2] = {{1, 0}, {1, 0}};
  ERR(futimens(fd, times), EROFS);
  close(fd);
  fd = open("/ro/file.txt", O_RDONLY | O_CREAT, 0644);  // exists: O_CREAT changes nothing
  OK(fd);
  close(fd);
  ERR(open("/ro/file.txt", O_WRONLY), EROFS);
  ERR(open("/ro/file.txt", O_RDWR), EROFS);
  ERR(open("/ro/file.txt", O_RDONLY | O_TRUNC), EROFS);
  ERR(open("/ro/new", O_WRONLY | O_CREAT, 0644), EROFS);
  ERR(open("/ro/new", O_RDONLY | O_CREAT, 0644), EROFS);
  ERR(open("/ro/file.txt", O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
  ERR(mkdir("/ro/dir", 0755), EROFS);
  ERR(rmdir("/ro/sub"), EROFS);
  ERR(unlink("/ro/file.txt"), EROFS);
  ERR(rename("/ro/file.txt", "/ro/moved"), EROFS);
  ERR(rename("/ro/file.txt", "/sandbox/moved"), EROFS);
  int w = open("/sandbox/w", O_WRONLY | O_CREAT, 0644);
  close(w);
  ERR(rename("/sandbox/w", "/ro/w"), EROFS);
  ERR(link("/ro/file.txt", "/sandbox/l"), EROFS);
  ERR(link("/sandbox/w", "/ro/l"), EROFS);
  ERR(symlink("file.txt", "/ro/s"), EROFS);
  ERR(truncate("/ro/file.txt", 0), EROFS);
  ERR(utimensat(AT_FDCWD, "/ro/file.txt", times, 0), EROFS);
  WASI(__wasi_path_filestat_set_times(4, 0, "file.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
       __WASI_ERRNO_ROFS);
  struct stat st;
  OK(stat("/ro/file.txt", &st));
  TRUE(st.st_size == 10);
  printf("done\n");
  return 0;
}
