// path_create_directory, path_remove_directory, fd_readdir (paging through many entries, seekdir,
// rewinddir) and the errors of directory operations.
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"

int main(void) {
  OK(mkdir("/sandbox/d", 0755));
  ERR(mkdir("/sandbox/d", 0755), EEXIST);
  OK(mkdir("/sandbox/d/sub/", 0755));  // a trailing slash is fine for mkdir
  ERR(mkdir("/sandbox/nope/sub", 0755), ENOENT);
  int fd = open("/sandbox/d/file", O_WRONLY | O_CREAT, 0644);
  OK(fd);
  OK(close(fd));
  ERR(mkdir("/sandbox/d/file/x", 0755), ENOTDIR);
  ERR(rmdir("/sandbox/d"), ENOTEMPTY);
  ERR(rmdir("/sandbox/d/file"), ENOTDIR);
  ERR(rmdir("/sandbox/d/missing"), ENOENT);
  ERR(unlink("/sandbox/d/sub"), EISDIR);
  ERR(opendir("/sandbox/d/file") ? 0 : -1, ENOTDIR);
  ERR(open("/sandbox/d/file", O_RDONLY | O_DIRECTORY), ENOTDIR);
  ERR(open("/sandbox/d", O_WRONLY), EISDIR);
  ERR(open("/sandbox/d/file/", O_RDONLY), ENOTDIR);

  // Reading a directory fd as a file fails.
  fd = open("/sandbox/d", O_RDONLY | O_DIRECTORY);
  OK(fd);
  char c;
  ERR(read(fd, &c, 1), EISDIR);
  OK(close(fd));

  // 300 entries with long names: fd_readdir has to page through its buffer several times.
  char name[128];
  for (int i = 0; i < 300; i++) {
    snprintf(name, sizeof name, "/sandbox/d/sub/entry-with-a-rather-long-name-%03d", i);
    fd = open(name, O_WRONLY | O_CREAT, 0644);
    if (fd < 0) { printf("FAIL create %d\n", i); break; }
    close(fd);
  }
  DIR *d = opendir("/sandbox/d/sub");
  TRUE(d != NULL);
  int seen[300] = {0}, files = 0, dots = 0;
  long pos = -1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
      dots++;
      TRUE(e->d_type == DT_DIR);
      continue;
    }
    int i = atoi(e->d_name + strlen("entry-with-a-rather-long-name-"));
    if (i >= 0 && i < 300) seen[i]++;
    TRUE(e->d_type == DT_REG);
    TRUE(e->d_ino != 0);
    if (++files == 150) pos = telldir(d);
  }
  int all = 1;
  for (int i = 0; i < 300; i++) all &= seen[i] == 1;
  printf("entries %d dots %d each once %d\n", files, dots, all);
  // seekdir back to the middle: the rest comes again.
  seekdir(d, pos);
  int rest = 0;
  while (readdir(d) != NULL) rest++;
  printf("after seekdir %d\n", rest);
  rewinddir(d);
  int again = 0;
  while (readdir(d) != NULL) again++;
  printf("after rewind %d\n", again);
  closedir(d);

  for (int i = 0; i < 300; i++) {
    snprintf(name, sizeof name, "/sandbox/d/sub/entry-with-a-rather-long-name-%03d", i);
    if (unlink(name) != 0) { printf("FAIL unlink %d\n", i); break; }
  }
  OK(rmdir("/sandbox/d/sub/"));
  OK(unlink("/sandbox/d/file"));
  OK(rmdir("/sandbox/d"));
  struct stat st;
  ERR(stat("/sandbox/d", &st), ENOENT);

  // "." and ".." inside the preopen are fine.
  OK(mkdir("/sandbox/a", 0755));
  OK(mkdir("/sandbox/a/b", 0755));
  OK(stat("/sandbox/a/b/../b/./..", &st));
  TRUE(S_ISDIR(st.st_mode));
  fd = open("/sandbox/a/b/..", O_RDONLY | O_DIRECTORY);
  OK(fd);
  int sub = openat(fd, "b", O_RDONLY | O_DIRECTORY);
  OK(sub);
  int up = openat(sub, "../..", O_RDONLY | O_DIRECTORY);  // back to the preopen itself
  OK(up);
  OK(fstatat(up, "a/b", &st, 0));
  close(up);
  close(sub);
  close(fd);
  OK(rmdir("/sandbox/a/b"));
  OK(rmdir("/sandbox/a"));
  printf("done\n");
  return 0;
}
