// sock_*: a file or stdio stream is not a socket (ENOTSOCK); a closed fd is EBADF.
#include <fcntl.h>
#include <wasi/api.h>
#include "check.h"

int main(void) {
  int fd = open("/sandbox/f", O_RDWR | O_CREAT, 0644);
  __wasi_size_t n;
  __wasi_roflags_t ro;
  char buf[4];
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
  __wasi_ciovec_t ciov = {(const uint8_t *)buf, sizeof buf};
  __wasi_fd_t out;
  WASI(__wasi_sock_recv(fd, &iov, 1, 0, &n, &ro), __WASI_ERRNO_NOTSOCK);
  WASI(__wasi_sock_send(fd, &ciov, 1, 0, &n), __WASI_ERRNO_NOTSOCK);
  WASI(__wasi_sock_shutdown(fd, __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTSOCK);
  WASI(__wasi_sock_accept(fd, 0, &out), __WASI_ERRNO_NOTSOCK);
  WASI(__wasi_sock_shutdown(1, __WASI_SDFLAGS_RD), __WASI_ERRNO_NOTSOCK);
  WASI(__wasi_sock_shutdown(3, __WASI_SDFLAGS_RD), __WASI_ERRNO_NOTSOCK);
  WASI(__wasi_sock_recv(88, &iov, 1, 0, &n, &ro), __WASI_ERRNO_BADF);
  WASI(__wasi_sock_send(88, &ciov, 1, 0, &n), __WASI_ERRNO_BADF);
  WASI(__wasi_sock_shutdown(88, __WASI_SDFLAGS_WR), __WASI_ERRNO_BADF);
  WASI(__wasi_sock_accept(88, 0, &out), __WASI_ERRNO_BADF);
  printf("done\n");
  return 0;
}
