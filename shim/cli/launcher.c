/*
 * Launcher of a runwasi-node shim: installed as the shim's binary, beside the JavaScript bundle it
 * runs (<this program>.cjs).
 *
 * containerd runs `<shim> start` before every container starts and `<shim> delete` after every
 * container ends, and waits for both (shim-protocol.md §3.2, §3.7). A Node process costs ~40 ms to
 * boot, so the common cases of both are answered here in about a millisecond:
 *
 *   start   binds the group's socket, hands it to a detached Node daemon as fd 3 (the daemon boots
 *           while containerd already dials and queues its first call), writes <bundle>/address and
 *           prints the address — what shim/cli/start.ts does;
 *   delete  prints DeleteResponse{exit_status 137, exited_at now} when the bundle uses the default
 *           rootfs path, which containerd unmounts itself (runtime/v2/bundle.go) — what
 *           shim/cli/delete.ts does.
 *
 * Anything unusual (flags it does not know, a sandbox id with escapes, an address that is not a
 * clean path) is handed to the bundle unchanged, whose TypeScript implements the whole contract.
 *
 * Each fast path is compiled in only where it is that shim's behaviour (scripts/build.js):
 * FAST_START for shims that run one daemon per container or pod (normal mode), FAST_DELETE for
 * shims whose `delete` has nothing to do beyond what containerd does itself, and with it
 * FAST_DELETE_UNLESS_SOCKET for the shared-mode client, whose `delete` has work only while the
 * sandbox socket named in <bundle>/address exists; FAST_START_MANAGER (with
 * shim/shared/manager-start.c) for the shared-mode client, whose `start` is one call to its daemon.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"
#ifdef FAST_START_MANAGER
#include "../shared/manager-start.h"
#endif

static char bundle_js[PATH_MAX];
static char **original_argv;

/* Runs the bundle with the original arguments: the full implementation of every action. */
static void run_node(void) {
  size_t n = 0;
  while (original_argv[n]) n++;
  char **argv = calloc(n + 2, sizeof *argv);
  if (!argv) exit(1);
  argv[0] = "node";
  argv[1] = bundle_js;
  for (size_t i = 1; i < n; i++) argv[i + 1] = original_argv[i];
  execvp("node", argv);
  fprintf(stderr, "cannot run node for %s: %s\n", bundle_js, strerror(errno));
  exit(1);
}

struct args {
  const char *action, *namespace, *id, *address, *publish_binary, *bundle, *socket;
  int debug;
};

/* Go flag syntax as containerd passes it; anything else goes to the bundle. */
static void parse_args(int argc, char **argv, struct args *a) {
  static const char *value_flags[] = {"namespace", "id", "address", "publish-binary", "bundle", "socket"};
  const char **values[] = {&a->namespace, &a->id, &a->address, &a->publish_binary, &a->bundle, &a->socket};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (arg[0] != '-') {
      if (a->action) run_node();
      a->action = arg;
      continue;
    }
    const char *name = arg + (arg[1] == '-' ? 2 : 1);
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    if (len == 5 && strncmp(name, "debug", 5) == 0) {
      a->debug = 1;
      continue;
    }
    int known = 0;
    for (size_t f = 0; f < sizeof value_flags / sizeof *value_flags; f++) {
      if (strlen(value_flags[f]) != len || strncmp(name, value_flags[f], len) != 0) continue;
      if (eq) *values[f] = eq + 1;
      else if (i + 1 < argc) *values[f] = argv[++i];
      else run_node();
      known = 1;
    }
    if (!known) run_node();
  }
}

static char *read_file(const char *path, size_t *size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size > (64 << 20)) {
    close(fd);
    return NULL;
  }
  char *buf = malloc((size_t)st.st_size + 1);
  ssize_t got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
  close(fd);
  if (got != st.st_size) {
    free(buf);
    return NULL;
  }
  buf[got] = 0;
  *size = (size_t)got;
  return buf;
}

/* Protobuf: a varint, appended at *p. */
static void put_varint(unsigned char **p, uint64_t v) {
  while (v >= 0x80) {
    *(*p)++ = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  *(*p)++ = (unsigned char)v;
}

/* The `delete` fast path; returns only if the bundle must decide. */
__attribute__((unused)) static void delete_fast(const struct args *a) {
  char path[PATH_MAX];
  const char *bundle = a->bundle ? a->bundle : ".";
  if (snprintf(path, sizeof path, "%s/config.json", bundle) >= (int)sizeof path) return;
  size_t size;
  char *spec = read_file(path, &size);
  // A custom root path is ours to unmount; containerd only unmounts <bundle>/rootfs.
  if (spec && !strstr(spec, "\"root\":{\"path\":\"rootfs\"")) return;
  free(spec);
#ifdef FAST_DELETE_UNLESS_SOCKET
  // Shared mode: the daemon removes a sandbox's socket as soon as containerd's Shutdown finds it
  // empty, so a socket still there means a pod sibling runs, or the daemon died with the task:
  // the bundle asks the daemon, and removes a dead one's socket.
  if (snprintf(path, sizeof path, "%s/address", bundle) >= (int)sizeof path) return;
  char *address = read_file(path, &size);
  if (address) {
    const char *socket_path = strncmp(address, "unix://", 7) == 0 ? address + 7 : address;
    int present = access(socket_path, F_OK) == 0;
    free(address);
    if (present) return;
  }
#endif
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  unsigned char ts[24], *t = ts, out[40], *o = out;
  *t++ = 0x08;
  put_varint(&t, (uint64_t)now.tv_sec);
  if (now.tv_nsec) {
    *t++ = 0x10;
    put_varint(&t, (uint64_t)now.tv_nsec);
  }
  // DeleteResponse{exit_status = 137: what runc and runwasi report for a shim that is gone}
  *o++ = 0x10;
  put_varint(&o, 137);
  *o++ = 0x1a;
  put_varint(&o, (uint64_t)(t - ts));
  memcpy(o, ts, (size_t)(t - ts));
  o += t - ts;
  exit(write(1, out, (size_t)(o - out)) == o - out ? 0 : 1);
}

/* The value of "io.kubernetes.cri.sandbox-id" in config.json, or NULL; exits to node if odd. */
static char *sandbox_id(const char *spec) {
  const char *key = "\"io.kubernetes.cri.sandbox-id\"";
  const char *at = strstr(spec, key);
  if (!at) return NULL;
  at += strlen(key);
  while (*at == ' ' || *at == ':') at++;
  if (*at != '"') run_node();
  const char *end = strchr(++at, '"');
  if (!end || memchr(at, '\\', (size_t)(end - at))) run_node();
  return end == at ? NULL : strndup(at, (size_t)(end - at));
}

/* Only clean absolute paths and plain names: then Go's filepath.Join is a plain "/" join. */
static int is_clean(const char *s, int absolute) {
  if (!*s || (absolute != (*s == '/'))) return 0;
  if (strstr(s, "//") || strstr(s, "/./") || strstr(s, "/../")) return 0;
  size_t n = strlen(s);
  if (n > 1 && s[n - 1] == '/') return 0;
  if (!absolute && strchr(s, '/')) return 0;
  return strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static void fail(const char *what) {
  fprintf(stderr, "%s: %s\n", what, strerror(errno));
  exit(1);
}

static int bind_socket(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) run_node();
  strcpy(sa.sun_path, path);
  for (int attempt = 0;; attempt++) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0); // no CLOEXEC: the daemon inherits it
    if (fd < 0) fail("socket");
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
      if (chmod(path, 0600) != 0 || listen(fd, 512) != 0) fail(path);
      return fd;
    }
    if (errno != EADDRINUSE || attempt > 0) fail(path);
    close(fd);
    // runc's reuse test (shim-protocol.md §3.5): a live shim answers, a stale file does not.
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
      close(probe);
      return -1;
    }
    if (probe >= 0) close(probe);
    unlink(path);
  }
}

static void spawn_daemon(const struct args *a, int listener, const char *socket_path) {
  const char *argv[16];
  int n = 0;
  argv[n++] = "node";
  argv[n++] = bundle_js;
  argv[n++] = "-namespace", argv[n++] = a->namespace;
  argv[n++] = "-id", argv[n++] = a->id;
  argv[n++] = "-address", argv[n++] = a->address;
  if (a->publish_binary) argv[n++] = "-publish-binary", argv[n++] = a->publish_binary;
  if (a->debug) argv[n++] = "-debug";
  argv[n++] = "-socket", argv[n++] = socket_path;
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid < 0) fail("fork");
  if (pid > 0) return;
  // The daemon: its own session, nothing of ours on stdio (containerd reads our stdout and
  // stderr until EOF), the listener on fd 3, and no NODE_EXTRA_CA_CERTS, which triples Node's
  // start-up time (architecture doc, decision 2).
  setsid();
  int null = open("/dev/null", O_RDWR);
  dup2(null, 0), dup2(null, 1), dup2(null, 2);
  if (listener != 3) {
    dup2(listener, 3);
    close(listener);
  }
  unsetenv("NODE_EXTRA_CA_CERTS");
  execvp("node", (char **)argv);
  _exit(127);
}

/* Writes <bundle>/address and prints the address: what containerd dials (§3.2). */
static void print_address(const char *socket_path) {
  char address[PATH_MAX + 8];
  int len = snprintf(address, sizeof address, "unix://%s", socket_path);
  if (len >= (int)sizeof address) run_node();
  // Atomically and without a newline: containerd reads it verbatim after a restart (§3.6).
  int fd = open(".address", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, address, (size_t)len) != len || close(fd) != 0) fail("address");
  if (rename(".address", "address") != 0) fail("address");
  exit(write(1, address, (size_t)len) == len ? 0 : 1);
}

__attribute__((unused)) static void start_fast(const struct args *a) {
  if (!a->namespace || !a->id || !a->address) run_node();
  if (!is_clean(a->address, 1) || !is_clean(a->namespace, 0) || !is_clean(a->id, 0)) run_node();
  size_t size;
  char *spec = read_file("config.json", &size);
  if (!spec) run_node();
  char *group = sandbox_id(spec);
  if (group && !is_clean(group, 0)) run_node();
  char key[PATH_MAX];
  int n = snprintf(key, sizeof key, "%s/%s/%s", a->address, a->namespace, group ? group : a->id);
  if (n >= (int)sizeof key) run_node();
  unsigned char digest[32];
  sha256(key, (size_t)n, digest);
  // The socket directory is containerd's convention whatever its state dir (§3.3).
  char socket_path[128] = "/run/containerd/s/";
  for (int i = 0; i < 32; i++) sprintf(socket_path + 18 + 2 * i, "%02x", digest[i]);
  if (a->socket) run_node(); // an explicit socket: rare, leave it to the bundle
  mkdir("/run/containerd", 0711);
  mkdir("/run/containerd/s", 0700);
  int listener = bind_socket(socket_path);
  if (listener >= 0) {
    spawn_daemon(a, listener, socket_path);
    close(listener);
  }
  print_address(socket_path);
}

#ifdef FAST_START_MANAGER
/*
 * The shared-mode `start` (FAST_START_MANAGER): the daemon makes the sandbox and names its socket
 * (shim/shared/manager-start.c); no daemon of our own. Anything unusual goes to the bundle.
 */
static void manager_start_fast(const struct args *a) {
  if (!a->namespace || !a->id || !a->address || a->socket) run_node();
  size_t size;
  char *spec = read_file("config.json", &size);
  if (!spec) run_node();
  char *group = sandbox_id(spec);
  char socket_path[PATH_MAX];
  if (manager_start(a->namespace, a->id, a->address, group ? group : a->id, socket_path,
                    sizeof socket_path) < 0) {
    run_node();
  }
  print_address(socket_path);
}
#endif

int main(int argc, char **argv) {
  original_argv = argv;
  ssize_t n = readlink("/proc/self/exe", bundle_js, sizeof bundle_js - 5);
  if (n <= 0) {
    fprintf(stderr, "cannot find this program's path: %s\n", strerror(errno));
    return 1;
  }
  memcpy(bundle_js + n, ".cjs", 5);
  struct args a = {0};
  parse_args(argc, argv, &a);
#ifdef FAST_DELETE
  if (a.action && strcmp(a.action, "delete") == 0) delete_fast(&a);
#endif
#ifdef FAST_START
  if (a.action && strcmp(a.action, "start") == 0) start_fast(&a);
#endif
#ifdef FAST_START_MANAGER
  if (a.action && strcmp(a.action, "start") == 0) manager_start_fast(&a);
#endif
  run_node();
}
