// Edge cases of the raw preview1 calls that wasi-libc never makes but other toolchains do:
// directory rights, calls on directory fds, readdir cookies, renumbering over preopens, link and
// symlink corner cases, and rights that guard truncation.
#include <fcntl.h>
#include <unistd.h>
#include <wasi/api.h>
#include "check.h"

#define DIR_RIGHT_SET                                                                   \
  (__WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_CREATE_FILE | __WASI_RIGHTS_FD_READDIR | \
   __WASI_RIGHTS_PATH_FILESTAT_GET | __WASI_RIGHTS_PATH_SYMLINK | __WASI_RIGHTS_PATH_UNLINK_FILE)

static __wasi_fd_t open_at(__wasi_fd_t dir, const char *path, __wasi_oflags_t oflags,
                           __wasi_rights_t base, __wasi_errno_t want) {
  __wasi_fd_t fd = (__wasi_fd_t)-1;
  // Children of a directory get at most its inheriting rights: pass them all on.
  __wasi_errno_t e = __wasi_path_open(dir, 0, path, oflags, base, (__wasi_rights_t)-1, 0, &fd);
  if (e != want) printf("FAIL open %s oflags %d: errno %d, want %d\n", path, oflags, e, want);
  return e == 0 ? fd : (__wasi_fd_t)-1;
}

int main(void) {
  // A preopen's own rights are a directory's; file rights are inherited only.
  __wasi_fdstat_t st;
  WASI(__wasi_fd_fdstat_get(3, &st), 0);
  const __wasi_rights_t dir_rights = st.fs_rights_base;
  TRUE((st.fs_rights_base & DIR_RIGHT_SET) == DIR_RIGHT_SET);
  TRUE((st.fs_rights_base & (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE)) == 0);
  TRUE((st.fs_rights_base & __WASI_RIGHTS_FD_FILESTAT_SET_SIZE) == 0);
  TRUE(st.fs_rights_inheriting & __WASI_RIGHTS_FD_WRITE);
  __wasi_fd_t d = open_at(3, ".", 0, st.fs_rights_base, 0);  // "with the same rights"
  __wasi_fd_close(d);
  __wasi_fd_close(open_at(3, ".", 0, 0, 0));
  __wasi_fd_close(open_at(3, ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ, 0));
  open_at(3, ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE,
          __WASI_ERRNO_ISDIR);
  open_at(3, "x", __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_CREAT, 0, __WASI_ERRNO_INVAL);
  __wasi_fd_t nb;
  WASI(__wasi_path_open(3, 0, ".", 0, 0, 0, __WASI_FDFLAGS_NONBLOCK, &nb), 0);
  __wasi_fd_close(nb);

  // Data calls on a directory fd fail without touching anything.
  char buf[16];
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
  __wasi_ciovec_t ciov = {(const uint8_t *)buf, sizeof buf};
  __wasi_size_t n;
  __wasi_filesize_t off;
  WASI(__wasi_fd_read(3, &iov, 1, &n), __WASI_ERRNO_BADF);
  WASI(__wasi_fd_write(3, &ciov, 1, &n), __WASI_ERRNO_BADF);
  WASI(__wasi_fd_pread(3, &iov, 1, 0, &n), __WASI_ERRNO_BADF);
  WASI(__wasi_fd_pwrite(3, &ciov, 1, 0, &n), __WASI_ERRNO_BADF);
  WASI(__wasi_fd_seek(3, 0, __WASI_WHENCE_CUR, &off), __WASI_ERRNO_BADF);
  WASI(__wasi_fd_tell(3, &off), __WASI_ERRNO_BADF);
  WASI(__wasi_fd_allocate(3, 0, 1), __WASI_ERRNO_BADF);
  WASI(__wasi_fd_filestat_set_size(3, 0), __WASI_ERRNO_ISDIR);
  WASI(__wasi_fd_prestat_dir_name(3, (uint8_t *)buf, 0), __WASI_ERRNO_NAMETOOLONG);
  WASI(__wasi_fd_prestat_dir_name(3, (uint8_t *)buf, sizeof buf), 0);

  // readdir: "." carries the directory's inode; a cookie resumes after the entry it came with.
  WASI(__wasi_path_create_directory(3, "rd"), 0);
  __wasi_fd_t rd = open_at(3, "rd", __WASI_OFLAGS_DIRECTORY, dir_rights, 0);
  __wasi_fd_t f = open_at(rd, "file", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_FILESTAT_GET, 0);
  __wasi_filestat_t fst, dst;
  WASI(__wasi_fd_filestat_get(f, &fst), 0);
  WASI(__wasi_fd_filestat_get(rd, &dst), 0);
  __wasi_fd_close(f);
  uint8_t dbuf[256];
  WASI(__wasi_fd_readdir(rd, dbuf, sizeof dbuf, 0, &n), 0);
  int entries = 0, dot_ok = 0, file_ok = 0;
  __wasi_dircookie_t second_next = 0;
  for (size_t at = 0; at + sizeof(__wasi_dirent_t) <= n; entries++) {
    __wasi_dirent_t e;
    memcpy(&e, dbuf + at, sizeof e);
    const char *name = (const char *)dbuf + at + sizeof e;
    if (e.d_namlen == 1 && name[0] == '.') dot_ok = e.d_ino == dst.ino;
    if (e.d_namlen == 4 && memcmp(name, "file", 4) == 0) file_ok = e.d_ino == fst.ino;
    if (entries == 1) second_next = e.d_next;
    at += sizeof e + e.d_namlen;
  }
  TRUE(entries == 3 && dot_ok && file_ok && n < sizeof dbuf);
  WASI(__wasi_fd_readdir(rd, dbuf, sizeof dbuf, second_next, &n), 0);
  TRUE(n == sizeof(__wasi_dirent_t) + 4);
  __wasi_fd_close(rd);

  // Renumbering a directory over the preopen keeps everything usable; so does closing a preopen.
  __wasi_fd_t sub = open_at(3, "rd", __WASI_OFLAGS_DIRECTORY, dir_rights, 0);
  __wasi_fd_t ro_sub = open_at(4, "sub", __WASI_OFLAGS_DIRECTORY, dir_rights, 0);
  WASI(__wasi_fd_close(4), 0);
  WASI(__wasi_fd_fdstat_get(4, &st), __WASI_ERRNO_BADF);
  __wasi_filestat_t fs;
  WASI(__wasi_path_filestat_get(ro_sub, 0, "../file.txt", &fs), 0);  // the root is still held
  TRUE(fs.size == 10);
  WASI(__wasi_path_filestat_get(ro_sub, 0, "../..", &fs), __WASI_ERRNO_NOTCAPABLE);
  __wasi_fd_close(ro_sub);
  WASI(__wasi_fd_renumber(sub, 3), 0);
  WASI(__wasi_path_filestat_get(3, 0, "file", &fs), 0);
  WASI(__wasi_path_filestat_get(3, 0, "../rd/file", &fs), 0);
  WASI(__wasi_path_filestat_get(3, 0, "../..", &fs), __WASI_ERRNO_NOTCAPABLE);
  WASI(__wasi_fd_fdstat_get(sub, &st), __WASI_ERRNO_BADF);
  // fd 3 is now /sandbox/rd.

  // Links.
  WASI(__wasi_path_link(3, 0, "file", 3, "file"), __WASI_ERRNO_EXIST);
  WASI(__wasi_path_create_directory(3, "dir"), 0);
  WASI(__wasi_path_link(3, 0, "file", 3, "dir"), __WASI_ERRNO_EXIST);
  WASI(__wasi_path_link(3, 0, "file", 3, "new/"), __WASI_ERRNO_NOENT);
  WASI(__wasi_path_symlink("nowhere", 3, "dangling"), 0);
  WASI(__wasi_path_link(3, 0, "dangling", 3, "hard"), 0);  // links the symlink itself
  WASI(__wasi_path_link(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "dangling", 3, "hard2"),
       __WASI_ERRNO_NOENT);
  WASI(__wasi_path_symlink("self", 3, "self"), 0);
  WASI(__wasi_path_link(3, 0, "self", 3, "hard3"), 0);

  // Symlink names with trailing slashes.
  WASI(__wasi_path_symlink("x", 3, "missing/"), __WASI_ERRNO_NOENT);
  WASI(__wasi_path_symlink("x", 3, "dir/"), __WASI_ERRNO_EXIST);
  WASI(__wasi_path_symlink("x", 3, "dir"), __WASI_ERRNO_EXIST);
  WASI(__wasi_path_symlink("x", 3, "file/"), __WASI_ERRNO_NOTDIR);
  WASI(__wasi_path_symlink("/", 3, "abs"), __WASI_ERRNO_NOTCAPABLE);
  WASI(__wasi_path_remove_directory(3, "file"), __WASI_ERRNO_NOTDIR);
  WASI(__wasi_path_remove_directory(3, "file/"), __WASI_ERRNO_NOTDIR);
  WASI(__wasi_path_remove_directory(3, "dir/"), 0);

  // Truncation needs PATH_FILESTAT_SET_SIZE on the directory; creation PATH_CREATE_FILE.
  __wasi_fd_close(open_at(3, "file", __WASI_OFLAGS_TRUNC, 0, 0));
  WASI(__wasi_fd_fdstat_get(3, &st), 0);
  WASI(__wasi_fd_fdstat_set_rights(3, st.fs_rights_base & ~__WASI_RIGHTS_PATH_FILESTAT_SET_SIZE,
                                   st.fs_rights_inheriting),
       0);
  open_at(3, "file", __WASI_OFLAGS_TRUNC, 0, __WASI_ERRNO_NOTCAPABLE);
  WASI(__wasi_fd_fdstat_set_rights(3, st.fs_rights_base & ~(__WASI_RIGHTS_PATH_FILESTAT_SET_SIZE |
                                                            __WASI_RIGHTS_PATH_CREATE_FILE),
                                   st.fs_rights_inheriting),
       0);
  open_at(3, "new", __WASI_OFLAGS_CREAT, 0, __WASI_ERRNO_NOTCAPABLE);

  // Stdio can be renumbered away like any fd.
  __wasi_fd_t to = open_at(5, "stdin-target", __WASI_OFLAGS_CREAT, 0, __WASI_ERRNO_BADF);
  (void)to;
  printf("done\n");
  return 0;
}
