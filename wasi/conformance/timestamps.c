// fd_filestat_set_times and path_filestat_set_times with explicit times, NOW and OMIT.
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>
#include "check.h"

#define S 1000000000ull

int main(void) {
  int fd = open("/sandbox/f", O_RDWR | O_CREAT, 0644);
  OK(fd);
  struct timespec t[2] = {{1000000000, 0}, {1100000000, 500000000}};
  OK(futimens(fd, t));
  struct stat st;
  OK(fstat(fd, &st));
  printf("atime %lld mtime %lld.%03ld\n", (long long)st.st_atim.tv_sec,
         (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec / 1000000);
  // Set atime only: mtime is left alone (OMIT).
  WASI(__wasi_fd_filestat_set_times(fd, 1200000000 * S, 0, __WASI_FSTFLAGS_ATIM), 0);
  OK(fstat(fd, &st));
  printf("atime %lld mtime %lld\n", (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);
  // mtime NOW by path, atime left alone.
  WASI(__wasi_path_filestat_set_times(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "f", 0, 0,
                                      __WASI_FSTFLAGS_MTIM_NOW),
       0);
  OK(stat("/sandbox/f", &st));
  TRUE(st.st_mtim.tv_sec > 1600000000 && st.st_atim.tv_sec == 1200000000);
  WASI(__wasi_fd_filestat_set_times(fd, 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
       __WASI_ERRNO_INVAL);
  WASI(__wasi_fd_filestat_set_times(fd, 1, 1, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
       __WASI_ERRNO_INVAL);

  // On a symlink without following: the link's own times change, not the target's.
  OK(symlink("f", "/sandbox/l"));
  OK(utimensat(AT_FDCWD, "/sandbox/l", t, AT_SYMLINK_NOFOLLOW));
  OK(lstat("/sandbox/l", &st));
  TRUE(st.st_mtim.tv_sec == 1100000000);
  OK(stat("/sandbox/l", &st));
  TRUE(st.st_mtim.tv_sec > 1600000000);
  OK(utimensat(AT_FDCWD, "/sandbox/l", t, 0));  // following: the target's
  OK(stat("/sandbox/f", &st));
  TRUE(st.st_mtim.tv_sec == 1100000000);
  ERR(utimensat(AT_FDCWD, "/sandbox/missing", t, 0), ENOENT);

  // Directories too, by path and by fd.
  OK(mkdir("/sandbox/d", 0755));
  OK(utimensat(AT_FDCWD, "/sandbox/d", t, 0));
  OK(stat("/sandbox/d", &st));
  TRUE(st.st_mtim.tv_sec == 1100000000);
  int dfd = open("/sandbox/d", O_RDONLY | O_DIRECTORY);
  WASI(__wasi_fd_filestat_set_times(dfd, 1200000000 * S, 0, __WASI_FSTFLAGS_ATIM), 0);
  OK(fstat(dfd, &st));
  TRUE(st.st_atim.tv_sec == 1200000000 && st.st_mtim.tv_sec == 1100000000);
  printf("done\n");
  return 0;
}
