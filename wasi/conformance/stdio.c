// stdin from a regular file, stdout and stderr, and what fd_fdstat_get says about them.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>
#include "check.h"

int main(void) {
  char buf[256];
  ssize_t n, total = 0;
  while ((n = read(0, buf, sizeof buf)) > 0) {
    write(1, buf, n);
    total += n;
  }
  TRUE(n == 0);
  printf("stdin bytes %zd\n", total);
  TRUE(read(0, buf, 1) == 0);  // still EOF
  TRUE(!isatty(0) && !isatty(1) && !isatty(2));
  __wasi_fdstat_t st;
  WASI(__wasi_fd_fdstat_get(1, &st), 0);
  TRUE(st.fs_filetype == __WASI_FILETYPE_REGULAR_FILE);
  TRUE(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE);
  fprintf(stderr, "to stderr\n");
  ERR(write(9, "x", 1), EBADF);
  ERR(read(9, buf, 1), EBADF);
  printf("done\n");
  return 0;
}
