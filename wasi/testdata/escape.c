// Attempts to get out of the preopens, one per line: "<name> <errno>" (0 = it succeeded, which
// the test treats as a failure unless it expects 0). Anything read is printed, so a leaked
// canary would show up in the output.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

// The host function itself, with an explicit path length (the libc wrapper uses strlen).
int32_t raw_path_open(int32_t fd, int32_t dirflags, const char *path, int32_t path_len,
                      int32_t oflags, int64_t base, int64_t inheriting, int32_t fdflags,
                      int32_t *out)
    __attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__("path_open")));

static int32_t raw_open(int dir, const char *path, int len) {
  int32_t fd;
  return raw_path_open(dir, 0, path, len, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
}

static void report(const char *name, long r) { printf("%s %d\n", name, r < 0 ? errno : 0); }

static void try_open(const char *name, const char *path, int flags) {
  errno = 0;
  int fd = open(path, flags, 0644);
  report(name, fd);
  if (fd >= 0) {
    char buf[64] = {0};
    if (read(fd, buf, sizeof buf - 1) > 0) printf("  read: %s\n", buf);
    close(fd);
  }
}

#define TRY(name, call) \
  do {                  \
    errno = 0;          \
    report(name, (long)(call)); \
  } while (0)

int main(void) {
  struct stat st;
  char buf[64];
  struct timespec t[2] = {{1, 0}, {1, 0}};

  // ".." and absolute paths.
  try_open("dotdot", "../canary", O_RDONLY);
  try_open("abs_dotdot", "/../canary", O_RDONLY);
  try_open("sub_dotdot", "/sub/../../canary", O_RDONLY);
  try_open("dot_dotdot", "/./../canary", O_RDONLY);
  try_open("many_dotdot", "/sub/../sub/../../../../canary", O_RDONLY);
  // Symlinks planted by the host.
  try_open("rel_symlink", "/up", O_RDONLY);
  try_open("rel_symlink_nofollow", "/up", O_RDONLY | O_NOFOLLOW);
  TRY("stat_follow", stat("/up", &st));
  try_open("abs_host_symlink", "/abs", O_RDONLY);
  try_open("abs_dotdot_symlink", "/absup", O_RDONLY);
  try_open("symlink_chain", "/chain1", O_RDONLY);
  try_open("symlink_loop", "/loop1", O_RDONLY);
  try_open("symlink_self", "/self", O_RDONLY);
  try_open("dir_symlink_up", "/dirlink/canary", O_RDONLY);
  try_open("nested_symlink", "/sub/deep", O_RDONLY);
  try_open("proc_symlink", "/procl", O_RDONLY);
  try_open("dir_symlink_out", "/outdir/canary2", O_RDONLY);
  try_open("trailing_slash_symlink", "/up/", O_RDONLY);
  TRY("stat_dirlink_slash", stat("/dirlink/", &st));
  // Creating and changing things outside.
  TRY("mkdir_out", mkdir("/../evil", 0755));
  try_open("create_out", "/../newfile", O_WRONLY | O_CREAT);
  try_open("create_via_dir_symlink", "/outdir/newfile", O_WRONLY | O_CREAT);
  try_open("trunc_via_symlink", "/up", O_WRONLY | O_TRUNC);
  TRY("unlink_out", unlink("/../canary"));
  TRY("unlink_via_dir_symlink", unlink("/dirlink/canary"));
  TRY("rmdir_out", rmdir("/../outside"));
  TRY("rename_from_out", rename("/../canary", "/stolen"));
  TRY("rename_to_out", rename("/file", "/../moved"));
  TRY("rename_via_dir_symlink", rename("/file", "/outdir/moved"));
  TRY("link_from_out", link("/../canary", "/hard"));
  TRY("link_follow_symlink", linkat(AT_FDCWD, "/up", AT_FDCWD, "/hard2", AT_SYMLINK_FOLLOW));
  TRY("link_to_out", link("/file", "/outdir/hard3"));
  TRY("symlink_abs_create", symlink("/etc/passwd", "/newabs"));
  TRY("symlink_rel_create", symlink("../canary", "/newrel"));  // allowed: just a string
  try_open("symlink_rel_use", "/newrel", O_RDONLY);
  TRY("symlink_in_out", symlink("x", "/../planted"));
  TRY("readlink_out", readlink("/../up", buf, sizeof buf));
  TRY("truncate_via_symlink", truncate("/up", 0));
  TRY("utimes_via_symlink", utimensat(AT_FDCWD, "/up", t, 0));
  TRY("utimes_out", utimensat(AT_FDCWD, "/../canary", t, 0));
  TRY("opendir_dotdot", opendir("/..") ? 0 : -1);
  TRY("opendir_dir_symlink", opendir("/dirlink") ? 0 : -1);
  // Relative to directory fds.
  int sub = open("/sub", O_RDONLY | O_DIRECTORY);
  try_open("openat_fd_dotdot", "/sub", O_RDONLY | O_DIRECTORY);  // control: 0
  errno = 0;
  int r = openat(sub, "../../canary", O_RDONLY);
  report("openat_sub_dotdot", r);
  int root = openat(sub, "..", O_RDONLY | O_DIRECTORY);
  report("openat_back_to_root", root);  // allowed: still inside
  errno = 0;
  r = openat(root, "../canary", O_RDONLY);
  report("openat_root_dotdot", r);
  errno = 0;
  r = fstatat(sub, "../../canary", &st, 0);
  report("fstatat_sub_dotdot", r);
  // Device nodes an image could carry (the test makes them with mknod).
  try_open("device_mem", "/mem", O_RDONLY);
  try_open("device_block", "/blk", O_RDONLY);
  try_open("device_via_symlink", "/memlink", O_RDONLY);
  try_open("device_null_allowed", "/null", O_RDWR);
  // The read-only preopen.
  try_open("ro_write", "/ro/file", O_WRONLY);
  TRY("ro_rename_out", rename("/ro/file", "/moved"));
  TRY("ro_unlink", unlink("/ro/file"));
  // Raw calls that wasi-libc would never make.
  printf("raw_absolute_path %d\n", raw_open(3, "/etc/passwd", 11));
  printf("raw_ro_dotdot %d\n", raw_open(4, "../canary", 9));
  printf("raw_nul_in_path %d\n", raw_open(3, "file\0../../canary", 17));
  printf("raw_file_as_dir %d\n", raw_open(0, "x", 1));
  printf("raw_bad_pointer %d\n", raw_open(3, (const char *)0x7ffffff0, 64));
  printf("raw_empty_path %d\n", raw_open(3, "", 0));
  return 0;
}
