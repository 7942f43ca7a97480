// fd_fdstat_get/set_flags/set_rights, fd_renumber, fd_prestat_get/dir_name.
#include <fcntl.h>
#include <unistd.h>
#include <wasi/api.h>
#include "check.h"

int main(void) {
  int fd = open("/sandbox/f", O_RDWR | O_CREAT, 0644);
  OK(fd);
  int fl = fcntl(fd, F_GETFL);
  TRUE((fl & O_ACCMODE) == O_RDWR && !(fl & O_APPEND));
  OK(fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
  fl = fcntl(fd, F_GETFL);
  TRUE((fl & O_APPEND) && (fl & O_NONBLOCK));
  TRUE(write(fd, "ab", 2) == 2);
  TRUE(lseek(fd, 0, SEEK_SET) == 0);
  TRUE(write(fd, "cd", 2) == 2);  // appended: O_APPEND set by fcntl is honoured
  char buf[8] = {0};
  TRUE(pread(fd, buf, 4, 0) == 4 && memcmp(buf, "abcd", 4) == 0);
  OK(fcntl(fd, F_SETFL, 0));
  TRUE(pwrite(fd, "X", 1, 0) == 1);
  TRUE(lseek(fd, 1, SEEK_SET) == 1 && write(fd, "Y", 1) == 1);  // not appended any more
  TRUE(pread(fd, buf, 4, 0) == 4 && memcmp(buf, "XYcd", 4) == 0);
  WASI(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_SYNC), __WASI_ERRNO_NOTSUP);

  // Rights only shrink; a dropped right is enforced.
  __wasi_fdstat_t st;
  WASI(__wasi_fd_fdstat_get(fd, &st), 0);
  TRUE(st.fs_filetype == __WASI_FILETYPE_REGULAR_FILE);
  TRUE((st.fs_rights_base & __WASI_RIGHTS_FD_READ) && (st.fs_rights_base & __WASI_RIGHTS_FD_SEEK));
  __wasi_rights_t fewer = st.fs_rights_base & ~(__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK);
  WASI(__wasi_fd_fdstat_set_rights(fd, fewer, st.fs_rights_inheriting), 0);
  ERR(read(fd, buf, 1), EBADF);
  ERR(lseek(fd, 0, SEEK_SET), ESPIPE);  // wasi-libc reports ENOTCAPABLE from fd_seek as ESPIPE
  WASI(__wasi_fd_fdstat_set_rights(fd, st.fs_rights_base, st.fs_rights_inheriting),
       __WASI_ERRNO_NOTCAPABLE);
  WASI(__wasi_fd_fdstat_get(fd, &st), 0);
  TRUE(st.fs_rights_base == fewer);

  // fd_renumber moves an fd over another (closing it) and frees the source.
  int other = open("/sandbox/g", O_RDWR | O_CREAT, 0644);
  OK(other);
  WASI(__wasi_fd_renumber(other, fd), 0);
  TRUE(write(fd, "to g", 4) == 4);
  ERR(write(other, "x", 1), EBADF);
  WASI(__wasi_fd_renumber(fd, 99), __WASI_ERRNO_BADF);
  WASI(__wasi_fd_renumber(99, fd), __WASI_ERRNO_BADF);
  WASI(__wasi_fd_renumber(fd, fd), 0);
  OK(close(fd));
  fd = open("/sandbox/g", O_RDONLY);
  TRUE(read(fd, buf, 8) == 4 && memcmp(buf, "to g", 4) == 0);
  close(fd);

  // Preopens: fds 3 and 4 in the order the host gave them.
  __wasi_prestat_t pre;
  WASI(__wasi_fd_prestat_get(3, &pre), 0);
  char name[32] = {0};
  WASI(__wasi_fd_prestat_dir_name(3, (uint8_t *)name, pre.u.dir.pr_name_len), 0);
  printf("fd 3 %s (%u)\n", name, (unsigned)pre.u.dir.pr_name_len);
  WASI(__wasi_fd_prestat_get(4, &pre), 0);
  memset(name, 0, sizeof name);
  WASI(__wasi_fd_prestat_dir_name(4, (uint8_t *)name, pre.u.dir.pr_name_len), 0);
  printf("fd 4 %s\n", name);
  WASI(__wasi_fd_prestat_dir_name(4, (uint8_t *)name, 1), __WASI_ERRNO_NAMETOOLONG);
  WASI(__wasi_fd_prestat_get(1, &pre), __WASI_ERRNO_BADF);
  WASI(__wasi_fd_prestat_get(200, &pre), __WASI_ERRNO_BADF);
  WASI(__wasi_fd_fdstat_get(3, &st), 0);
  TRUE(st.fs_filetype == __WASI_FILETYPE_DIRECTORY);
  printf("done\n");
  return 0;
}
