// path_symlink, path_readlink, path_link, path_rename, O_NOFOLLOW and trailing slashes.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"

static void put(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) printf("FAIL put %s\n", path);
  close(fd);
}

static void show(const char *path) {
  char buf[64] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) { printf("%s: errno %d\n", path, errno); return; }
  read(fd, buf, sizeof buf - 1);
  close(fd);
  printf("%s: %s\n", path, buf);
}

int main(void) {
  OK(mkdir("/sandbox/dir", 0755));
  put("/sandbox/dir/file", "content");

  // Symlinks: relative targets, chains, links to directories, dangling links.
  OK(symlink("dir/file", "/sandbox/link"));
  OK(symlink("link", "/sandbox/chain"));
  OK(symlink("dir", "/sandbox/dirlink"));
  OK(symlink("nowhere", "/sandbox/dangling"));
  OK(symlink("../dir/file", "/sandbox/dir/updown"));
  show("/sandbox/link");
  show("/sandbox/chain");
  show("/sandbox/dirlink/file");
  show("/sandbox/dir/updown");
  ERR(open("/sandbox/dangling", O_RDONLY), ENOENT);
  ERR(symlink("x", "/sandbox/link"), EEXIST);
  char buf[64] = {0};
  TRUE(readlink("/sandbox/chain", buf, sizeof buf) == 4 && memcmp(buf, "link", 4) == 0);
  memset(buf, 0, sizeof buf);
  TRUE(readlink("/sandbox/link", buf, 3) == 3 && memcmp(buf, "dir", 3) == 0);  // truncated
  ERR(readlink("/sandbox/dir/file", buf, sizeof buf), EINVAL);
  ERR(readlink("/sandbox/missing", buf, sizeof buf), ENOENT);

  struct stat st, lst;
  OK(stat("/sandbox/link", &st));
  OK(lstat("/sandbox/link", &lst));
  TRUE(S_ISREG(st.st_mode) && S_ISLNK(lst.st_mode));
  TRUE(lst.st_size == 8);
  OK(lstat("/sandbox/dirlink/", &lst));  // a trailing slash follows the link
  TRUE(S_ISDIR(lst.st_mode));

  // Opening a name that is a symlink in the preopen itself: followed, for every open mode.
  int fd = open("/sandbox/dirlink", O_RDONLY | O_DIRECTORY);
  OK(fd);
  close(fd);
  ERR(open("/sandbox/link", O_RDONLY | O_DIRECTORY), ENOTDIR);
  ERR(open("/sandbox/dir/file", O_RDONLY | O_DIRECTORY), ENOTDIR);
  fd = open("/sandbox/link", O_WRONLY | O_CREAT | O_APPEND, 0644);  // exists: appends to the target
  OK(fd);
  close(fd);
  ERR(open("/sandbox/link", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
  show("/sandbox/link");

  // O_NOFOLLOW on a symlink is ELOOP; on a regular file it is fine.
  ERR(open("/sandbox/link", O_RDONLY | O_NOFOLLOW), ELOOP);
  fd = open("/sandbox/dir/file", O_RDONLY | O_NOFOLLOW);
  OK(fd);
  close(fd);

  // Loops.
  OK(symlink("loop2", "/sandbox/loop1"));
  OK(symlink("loop1", "/sandbox/loop2"));
  ERR(open("/sandbox/loop1", O_RDONLY), ELOOP);
  ERR(stat("/sandbox/loop1", &st), ELOOP);
  OK(lstat("/sandbox/loop1", &st));

  // Creating through a dangling symlink creates its target, as on Linux.
  fd = open("/sandbox/dangling", O_WRONLY | O_CREAT, 0644);
  OK(fd);
  close(fd);
  OK(stat("/sandbox/nowhere", &st));

  // Hard links.
  OK(link("/sandbox/dir/file", "/sandbox/hard"));
  OK(stat("/sandbox/hard", &st));
  printf("nlink %d\n", (int)st.st_nlink);
  ERR(link("/sandbox/dir/file", "/sandbox/hard"), EEXIST);
  ERR(link("/sandbox/dir", "/sandbox/dirhard"), EPERM);
  ERR(link("/sandbox/missing", "/sandbox/x"), ENOENT);
  OK(link("/sandbox/link", "/sandbox/hardlink"));  // links the symlink itself
  OK(lstat("/sandbox/hardlink", &st));
  TRUE(S_ISLNK(st.st_mode));

  // Renames.
  OK(rename("/sandbox/hard", "/sandbox/renamed"));
  ERR(stat("/sandbox/hard", &st), ENOENT);
  show("/sandbox/renamed");
  put("/sandbox/other", "other");
  OK(rename("/sandbox/other", "/sandbox/renamed"));  // replaces
  show("/sandbox/renamed");
  OK(mkdir("/sandbox/d2", 0755));
  OK(mkdir("/sandbox/d3", 0755));
  put("/sandbox/d3/x", "x");
  ERR(rename("/sandbox/d2", "/sandbox/d3"), ENOTEMPTY);
  ERR(rename("/sandbox/renamed", "/sandbox/d2"), EISDIR);
  ERR(rename("/sandbox/d2", "/sandbox/renamed"), ENOTDIR);
  ERR(rename("/sandbox/renamed/", "/sandbox/r2"), ENOTDIR);
  ERR(rename("/sandbox/missing", "/sandbox/r2"), ENOENT);
  OK(rename("/sandbox/d2/", "/sandbox/d4/"));
  OK(rename("/sandbox/dirlink", "/sandbox/dirlink2"));  // renames the link, not the dir
  OK(lstat("/sandbox/dirlink2", &st));
  TRUE(S_ISLNK(st.st_mode));
  OK(stat("/sandbox/dir", &st));

  // Trailing slashes.
  ERR(open("/sandbox/dir/file/", O_RDONLY), ENOTDIR);
  ERR(open("/sandbox/newfile/", O_WRONLY | O_CREAT, 0644), EISDIR);
  ERR(unlink("/sandbox/dir/file/"), ENOTDIR);
  ERR(symlink("dir", "/sandbox/newlink/"), ENOENT);
  ERR(stat("/sandbox/dir/file/", &st), ENOTDIR);

  // Unlinking a symlink removes the link only.
  OK(unlink("/sandbox/link"));
  OK(stat("/sandbox/dir/file", &st));
  printf("done\n");
  return 0;
}
