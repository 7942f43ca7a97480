// The WASI row's file-heavy program: COUNT files created, written, read back, stat'ed, listed and
// unlinked in DIR — about ten host calls per file, so the host's per-call cost decides its time.
//
//   files COUNT DIR   prints "<files listed> <bytes read>"; exits 1 on the first error
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAYLOAD "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int fail(const char *what, const char *path) {
  perror(what);
  fprintf(stderr, "  at %s\n", path);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fputs("usage: files COUNT DIR\n", stderr);
    return 2;
  }
  long count = atol(argv[1]);
  const char *dir = argv[2];
  char path[512];
  char buf[128];
  long listed = 0, bytes = 0;

  for (long i = 0; i < count; i++) {
    snprintf(path, sizeof path, "%s/f%06ld", dir, i);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return fail("create", path);
    if (write(fd, PAYLOAD, sizeof PAYLOAD - 1) != sizeof PAYLOAD - 1) return fail("write", path);
    close(fd);
  }
  for (long i = 0; i < count; i++) {
    snprintf(path, sizeof path, "%s/f%06ld", dir, i);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail("open", path);
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) return fail("read", path);
    bytes += n;
    close(fd);
    struct stat st;
    if (stat(path, &st) != 0 || st.st_size != n) return fail("stat", path);
  }
  DIR *d = opendir(dir);
  if (d == NULL) return fail("opendir", dir);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == 'f') listed++;
  }
  closedir(d);
  for (long i = 0; i < count; i++) {
    snprintf(path, sizeof path, "%s/f%06ld", dir, i);
    if (unlink(path) != 0) return fail("unlink", path);
  }
  printf("%ld %ld\n", listed, bytes);
  return listed == count ? 0 : 1;
}
