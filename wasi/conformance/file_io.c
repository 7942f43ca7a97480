// fd_read/fd_write/fd_pread/fd_pwrite/fd_seek/fd_tell/fd_filestat_set_size/fd_allocate/fd_sync/
// fd_datasync/fd_advise on a regular file, and their errors.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "check.h"

int main(void) {
  int fd = open("/sandbox/f", O_RDWR | O_CREAT | O_TRUNC, 0644);
  OK(fd);
  TRUE(write(fd, "0123456789", 10) == 10);
  TRUE(lseek(fd, 0, SEEK_CUR) == 10);
  TRUE(lseek(fd, 2, SEEK_SET) == 2);
  char buf[32] = {0};
  TRUE(read(fd, buf, 3) == 3 && memcmp(buf, "234", 3) == 0);
  TRUE(lseek(fd, -1, SEEK_END) == 9);
  TRUE(read(fd, buf, 10) == 1 && buf[0] == '9');
  TRUE(read(fd, buf, 10) == 0);  // end of file
  ERR(lseek(fd, -100, SEEK_CUR), EINVAL);
  TRUE(lseek(fd, 0, SEEK_CUR) == 10);  // unchanged by the failed seek

  // pread/pwrite use their own offset and leave the file position alone.
  TRUE(pwrite(fd, "ab", 2, 4) == 2);
  TRUE(pread(fd, buf, 4, 3) == 4 && memcmp(buf, "3ab6", 4) == 0);
  TRUE(lseek(fd, 0, SEEK_CUR) == 10);

  // Vectored I/O.
  struct iovec iov[2] = {{"xy", 2}, {"z", 1}};
  TRUE(writev(fd, iov, 2) == 3);
  char a[2], b[20];
  struct iovec riov[2] = {{a, 2}, {b, sizeof b}};
  TRUE(lseek(fd, 0, SEEK_SET) == 0);
  TRUE(readv(fd, riov, 2) == 13 && a[0] == '0' && b[10] == 'z');

  // A seek past the end leaves a hole that reads as zeros.
  TRUE(lseek(fd, 20, SEEK_SET) == 20);
  TRUE(write(fd, "!", 1) == 1);
  struct stat st;
  OK(fstat(fd, &st));
  printf("size after hole %lld\n", (long long)st.st_size);
  TRUE(pread(fd, buf, 2, 14) == 2 && buf[0] == 0 && buf[1] == 0);

  OK(ftruncate(fd, 5));
  OK(fstat(fd, &st));
  printf("size after truncate %lld\n", (long long)st.st_size);
  OK(ftruncate(fd, 8));
  TRUE(pread(fd, buf, 8, 0) == 8 && buf[5] == 0);
  TRUE(posix_fallocate(fd, 0, 100) == 0);
  OK(fstat(fd, &st));
  printf("size after allocate %lld\n", (long long)st.st_size);
  TRUE(posix_fallocate(fd, 0, 10) == 0);
  OK(fstat(fd, &st));
  TRUE(st.st_size == 100);  // allocate never shrinks
  TRUE(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0);
  TRUE(posix_fadvise(fd, 0, 0, 99) == EINVAL);
  OK(fsync(fd));
  OK(fdatasync(fd));
  OK(close(fd));
  ERR(close(fd), EBADF);
  ERR(write(fd, "x", 1), EBADF);

  // Access modes.
  fd = open("/sandbox/f", O_RDONLY);
  OK(fd);
  ERR(write(fd, "x", 1), EBADF);
  ERR(ftruncate(fd, 0), EBADF);
  OK(close(fd));
  fd = open("/sandbox/f", O_WRONLY);
  OK(fd);
  ERR(read(fd, buf, 1), EBADF);
  OK(close(fd));

  // O_APPEND writes at the end whatever the position; pwrite is not affected.
  fd = open("/sandbox/f", O_RDWR | O_APPEND);
  OK(fd);
  TRUE(lseek(fd, 0, SEEK_SET) == 0);
  TRUE(write(fd, "END", 3) == 3);
  TRUE(lseek(fd, 0, SEEK_CUR) == 103);
  OK(fstat(fd, &st));
  printf("size after append %lld\n", (long long)st.st_size);
  OK(close(fd));

  // O_TRUNC empties; O_EXCL refuses an existing file.
  fd = open("/sandbox/f", O_WRONLY | O_TRUNC);
  OK(fd);
  OK(fstat(fd, &st));
  TRUE(st.st_size == 0);
  OK(close(fd));
  ERR(open("/sandbox/f", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
  ERR(open("/sandbox/missing", O_RDONLY), ENOENT);

  // Seeking a pipe-like stdio stream is ESPIPE; pread on a directory fd is not a file read.
  ERR(lseek(0, 0, SEEK_SET), ESPIPE);
  printf("done\n");
  return 0;
}
