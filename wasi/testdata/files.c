// Creates, writes, reads, stats, lists and removes files beneath the preopen "/sandbox".
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(x) do { if (!(x)) { printf("FAIL %s:%d %s errno=%d\n", __FILE__, __LINE__, #x, errno); return 1; } } while (0)

int main(void) {
  CHECK(mkdir("/sandbox/dir", 0755) == 0);
  FILE *f = fopen("/sandbox/dir/a.txt", "w");
  CHECK(f != NULL);
  CHECK(fputs("hello file\n", f) >= 0);
  CHECK(fclose(f) == 0);

  struct stat st;
  CHECK(stat("/sandbox/dir/a.txt", &st) == 0);
  printf("size %lld regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));

  char buf[64] = {0};
  int fd = open("/sandbox/dir/a.txt", O_RDONLY);
  CHECK(fd >= 0);
  CHECK(read(fd, buf, sizeof buf - 1) == 11);
  printf("read %s", buf);
  CHECK(lseek(fd, 6, SEEK_SET) == 6);
  memset(buf, 0, sizeof buf);
  CHECK(read(fd, buf, 4) == 4);
  printf("seek read %s\n", buf);
  CHECK(close(fd) == 0);

  fd = open("/sandbox/dir/a.txt", O_WRONLY | O_APPEND);
  CHECK(fd >= 0);
  CHECK(write(fd, "more\n", 5) == 5);
  CHECK(close(fd) == 0);
  CHECK(stat("/sandbox/dir/a.txt", &st) == 0);
  printf("appended size %lld\n", (long long)st.st_size);

  CHECK(open("/sandbox/dir/a.txt", O_WRONLY | O_CREAT | O_EXCL, 0644) < 0 && errno == EEXIST);
  fd = open("/sandbox/dir/b.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  CHECK(close(fd) == 0);

  DIR *d = opendir("/sandbox/dir");
  CHECK(d != NULL);
  int n = 0, sawA = 0, sawB = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    n++;
    if (strcmp(e->d_name, "a.txt") == 0) sawA = e->d_type == DT_REG;
    if (strcmp(e->d_name, "b.txt") == 0) sawB = 1;
  }
  closedir(d);
  printf("entries %d a %d b %d\n", n, sawA, sawB);

  CHECK(rmdir("/sandbox/dir") < 0 && errno == ENOTEMPTY);
  CHECK(unlink("/sandbox/dir/a.txt") == 0);
  CHECK(unlink("/sandbox/dir/b.txt") == 0);
  CHECK(stat("/sandbox/dir/a.txt", &st) < 0 && errno == ENOENT);
  CHECK(rmdir("/sandbox/dir") == 0);
  printf("done\n");
  return 0;
}
