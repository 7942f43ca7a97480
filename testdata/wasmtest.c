// wasmtest: the demo and test program that runwasi's shims run (C over wasi-libc).
//
//   wasmtest                 prints "Hello from wasm!"
//   wasmtest SUBCOMMAND ...  see usage() below
//
// argv[0] is the module path (shim-protocol.md §6); the subcommand is argv[1]. Every subcommand
// exercises one WASI area, so a failing end-to-end test points at one host call family.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char usage_text[] =
    "usage: wasmtest [SUBCOMMAND ARGS...]\n"
    "  (none)          print \"Hello from wasm!\"\n"
    "  echo ARGS...    print ARGS joined by one space\n"
    "  stderr ARGS...  the same, on stderr\n"
    "  args            print argv, one element per line (argv[0] included)\n"
    "  env             print every environment variable, one per line\n"
    "  cwd             print the working directory\n"
    "  sleep SECS      sleep (fractions allowed), then exit 0\n"
    "  exit CODE       exit with CODE\n"
    "  daemon          print \"tick N\" every second until killed\n"
    "  loop            spin forever without calling the host\n"
    "  trap            execute an unreachable instruction\n"
    "  alloc MIB       allocate and touch MIB MiB of memory\n"
    "  write FILE TEXT write TEXT (no newline added) to FILE, creating it\n"
    "  cat FILE        print FILE\n"
    "  ls DIR          print DIR's entries, sorted, one per line\n"
    "  stdin           copy stdin to stdout until EOF\n";

static int usage(const char *problem) {
  if (problem != NULL) fprintf(stderr, "wasmtest: %s\n", problem);
  fputs(usage_text, stderr);
  return 2;
}

/* Joins args with single spaces, newline-terminated, the way echo(1) does. */
static void print_joined(FILE *out, int count, char **args) {
  for (int i = 0; i < count; i++) {
    if (i > 0) fputc(' ', out);
    fputs(args[i], out);
  }
  fputc('\n', out);
}

/* Parses a whole-string number; trailing junk means the caller passed something else. */
static int parse_double(const char *text, double *out) {
  char *end = NULL;
  errno = 0;
  *out = strtod(text, &end);
  return errno == 0 && end != text && *end == '\0';
}

static int parse_long(const char *text, long *out) {
  char *end = NULL;
  errno = 0;
  *out = strtol(text, &end, 10);
  return errno == 0 && end != text && *end == '\0';
}

static void sleep_seconds(double secs) {
  struct timespec ts;
  ts.tv_sec = (time_t)secs;
  ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
  // wasi-libc's nanosleep is one poll_oneoff on a clock; retry if a host reports EINTR.
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* Copies fd to fd with raw read/write: stdio buffering would hide partial-read behaviour. */
static int copy_fd(int in, int out, const char *what) {
  /* Static: wasm-ld gives the whole program a 64 KiB stack, which this buffer would overrun. */
  static char buf[65536];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "%s: %s\n", what, strerror(errno));
      return 1;
    }
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buf + done, (size_t)(n - done));
      if (w < 0) {
        if (errno == EINTR) continue;
        fprintf(stderr, "%s: write to stdout: %s\n", what, strerror(errno));
        return 1;
      }
      done += w;
    }
  }
}

static int cmd_write(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    fprintf(stderr, "write %s: %s\n", path, strerror(errno));
    return 1;
  }
  // Write and close can fail too (a full or read-only filesystem reports at either point).
  int ok = fputs(text, f) >= 0;
  int saved = errno;
  if (fclose(f) != 0 && ok) {
    ok = 0;
    saved = errno;
  }
  if (!ok) {
    fprintf(stderr, "write %s: %s\n", path, strerror(saved));
    return 1;
  }
  return 0;
}

static int cmd_cat(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    fprintf(stderr, "cat %s: %s\n", path, strerror(errno));
    return 1;
  }
  fflush(stdout);
  int rc = copy_fd(fileno(f), STDOUT_FILENO, "cat");
  fclose(f);
  return rc;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_ls(const char *path) {
  DIR *dir = opendir(path);
  if (dir == NULL) {
    fprintf(stderr, "ls %s: %s\n", path, strerror(errno));
    return 1;
  }
  char **names = NULL;
  size_t count = 0;
  size_t cap = 0;
  struct dirent *ent;
  errno = 0;
  while ((ent = readdir(dir)) != NULL) {
    if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
    if (count == cap) {
      cap = cap ? cap * 2 : 16;
      char **grown = realloc(names, cap * sizeof *names);
      if (grown == NULL) {
        fprintf(stderr, "ls %s: out of memory\n", path);
        return 1;
      }
      names = grown;
    }
    names[count++] = strdup(ent->d_name);
  }
  int failed = errno != 0;
  if (failed) fprintf(stderr, "ls %s: %s\n", path, strerror(errno));
  closedir(dir);
  qsort(names, count, sizeof *names, compare_names);
  for (size_t i = 0; i < count; i++) {
    puts(names[i]);
    free(names[i]);
  }
  free(names);
  return failed;
}

/* Where cmd_alloc keeps its memory: a pointer that escapes, so the compiler cannot drop the
   allocation (LLVM removes a malloc whose memory is never observed). */
char *volatile alloc_keep;

static int cmd_alloc(const char *arg) {
  long mib;
  if (!parse_long(arg, &mib) || mib < 0) return usage("alloc: MIB must be a whole number >= 0");
  size_t bytes = (size_t)mib * 1024 * 1024;
  char *p = malloc(bytes ? bytes : 1);
  if (p == NULL) {
    fprintf(stderr, "alloc %ld MiB: out of memory\n", mib);
    return 1;
  }
  // Touch every byte so the memory is really committed, not merely reserved.
  memset(p, 0xa5, bytes);
  alloc_keep = p;
  printf("allocated %ld MiB\n", mib);
  return 0;
}

static int cmd_daemon(void) {
  for (long n = 1;; n++) {
    printf("tick %ld\n", n);
    fflush(stdout);
    sleep_seconds(1);
  }
}

static int cmd_loop(void) {
  // volatile keeps the optimiser from deleting the loop; no host call is ever made.
  volatile unsigned long spins = 0;
  for (;;) spins++;
}

int main(int argc, char **argv) {
  // Line-buffered so each line reaches a pipe or FIFO as it is printed (daemon, tests).
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) {
    puts("Hello from wasm!");
    return 0;
  }
  const char *cmd = argv[1];
  int nargs = argc - 2;
  char **args = argv + 2;

  if (strcmp(cmd, "echo") == 0) {
    print_joined(stdout, nargs, args);
    return 0;
  }
  if (strcmp(cmd, "stderr") == 0) {
    print_joined(stderr, nargs, args);
    return 0;
  }
  if (strcmp(cmd, "args") == 0) {
    for (int i = 0; i < argc; i++) puts(argv[i]);
    return 0;
  }
  if (strcmp(cmd, "env") == 0) {
    for (char **e = environ; e != NULL && *e != NULL; e++) puts(*e);
    return 0;
  }
  if (strcmp(cmd, "cwd") == 0) {
    char buf[4096];
    if (getcwd(buf, sizeof buf) == NULL) {
      fprintf(stderr, "cwd: %s\n", strerror(errno));
      return 1;
    }
    puts(buf);
    return 0;
  }
  if (strcmp(cmd, "sleep") == 0) {
    double secs;
    if (nargs != 1 || !parse_double(args[0], &secs) || secs < 0)
      return usage("sleep: SECS must be a number >= 0");
    sleep_seconds(secs);
    return 0;
  }
  if (strcmp(cmd, "exit") == 0) {
    long code;
    if (nargs != 1 || !parse_long(args[0], &code)) return usage("exit: CODE must be a number");
    exit((int)code);
  }
  if (strcmp(cmd, "daemon") == 0) return cmd_daemon();
  if (strcmp(cmd, "loop") == 0) return cmd_loop();
  if (strcmp(cmd, "trap") == 0) {
    fflush(stdout);
    __builtin_trap();
  }
  if (strcmp(cmd, "alloc") == 0) {
    if (nargs != 1) return usage("alloc: expected MIB");
    return cmd_alloc(args[0]);
  }
  if (strcmp(cmd, "write") == 0) {
    if (nargs != 2) return usage("write: expected FILE TEXT");
    return cmd_write(args[0], args[1]);
  }
  if (strcmp(cmd, "cat") == 0) {
    if (nargs != 1) return usage("cat: expected FILE");
    return cmd_cat(args[0]);
  }
  if (strcmp(cmd, "ls") == 0) {
    if (nargs != 1) return usage("ls: expected DIR");
    return cmd_ls(args[0]);
  }
  if (strcmp(cmd, "stdin") == 0) {
    fflush(stdout);
    return copy_fd(STDIN_FILENO, STDOUT_FILENO, "stdin");
  }
  fprintf(stderr, "wasmtest: unknown subcommand '%s'\n", cmd);
  return usage(NULL);
}
