/*
 * The shared-mode shim's `start`, in C, for the launcher (shim/cli/launcher.c, built with
 * FAST_START_MANAGER): one ttrpc call to the daemon's manager — Connect for a container that joins
 * a pod, else (or when the pod has no sandbox yet) Create — exactly what client-start.ts does,
 * without the ~40 ms of a Node boot on every container's start path.
 *
 * Only the success path lives here: on any surprise (no daemon, an error status, a response it
 * cannot read) it returns -1 and the launcher runs the bundle, which makes the same call again and
 * reports the problem properly ("containerd-v8d is not running at …"). Both calls are idempotent.
 *
 * Wire formats: ttrpc 1.1 frames (shim-protocol.md §1) carrying ttrpc.Request / ttrpc.Response,
 * and api/proto/runwasi/manager/v1/manager.proto for the messages inside.
 */
#define _GNU_SOURCE
#include "manager-start.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef MANAGER_SOCKET_DEFAULT
#define MANAGER_SOCKET_DEFAULT "/run/containerd-v8d/manager.sock"
#endif
#define MANAGER_SERVICE "runwasi.manager.v1.Manager"
/* google.rpc.Code NOT_FOUND: Connect's answer when the group has no sandbox yet. */
#define CODE_NOT_FOUND 5
/* A sandbox is created in milliseconds; this only bounds a daemon that hangs. */
#define CALL_TIMEOUT_S 30
#define MAX_MESSAGE 4096

struct buf {
  unsigned char data[MAX_MESSAGE];
  size_t len;
  int overflow;
};

static void put_byte(struct buf *b, unsigned char c) {
  if (b->len < sizeof b->data) b->data[b->len++] = c;
  else b->overflow = 1;
}

static void put_varint(struct buf *b, uint64_t v) {
  while (v >= 0x80) {
    put_byte(b, (unsigned char)(v | 0x80));
    v >>= 7;
  }
  put_byte(b, (unsigned char)v);
}

/* A length-delimited field (wire type 2): strings, bytes, messages. */
static void put_bytes(struct buf *b, unsigned field, const void *data, size_t len) {
  put_varint(b, (uint64_t)field << 3 | 2);
  put_varint(b, len);
  for (size_t i = 0; i < len; i++) put_byte(b, ((const unsigned char *)data)[i]);
}

static void put_string(struct buf *b, unsigned field, const char *s) {
  if (*s) put_bytes(b, field, s, strlen(s));
}

static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    unsigned char c = *(*p)++;
    *v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) return 0;
  }
  return -1;
}

/* Finds field `want` (wire type 0 or 2) in a message; skips the others. -1 when absent. */
static int get_field(const unsigned char *p, const unsigned char *end, unsigned want,
                     uint64_t *value, const unsigned char **data) {
  while (p < end) {
    uint64_t key, v;
    if (get_varint(&p, end, &key) != 0) return -1;
    switch (key & 7) {
      case 0:
        if (get_varint(&p, end, &v) != 0) return -1;
        if (key >> 3 == want) return *value = v, 0;
        break;
      case 1:
        p += 8;
        break;
      case 2:
        if (get_varint(&p, end, &v) != 0 || v > (uint64_t)(end - p)) return -1;
        if (key >> 3 == want) return *value = v, *data = p, 0;
        p += v;
        break;
      case 5:
        p += 4;
        break;
      default:
        return -1;
    }
  }
  return -1;
}

static int write_all(int fd, const unsigned char *p, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n, len -= (size_t)n;
  }
  return 0;
}

static int read_all(int fd, unsigned char *p, size_t len) {
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n, len -= (size_t)n;
  }
  return 0;
}

/*
 * One unary call: sends `request` to `method`, reads the response frame. Answers 0 with the
 * response message in `reply`, the status code (> 0) of an error response, or -1.
 */
static int call(int fd, uint32_t stream, const char *method, const struct buf *request,
                struct buf *reply) {
  struct buf req = {0};
  put_string(&req, 1, MANAGER_SERVICE);
  put_string(&req, 2, method);
  put_bytes(&req, 3, request->data, request->len);
  if (req.overflow || request->overflow) return -1;
  unsigned char header[10] = {
      (unsigned char)(req.len >> 24), (unsigned char)(req.len >> 16),
      (unsigned char)(req.len >> 8),  (unsigned char)req.len,
      (unsigned char)(stream >> 24),  (unsigned char)(stream >> 16),
      (unsigned char)(stream >> 8),   (unsigned char)stream,
      1 /* request */,                0};
  if (write_all(fd, header, sizeof header) != 0 || write_all(fd, req.data, req.len) != 0) return -1;
  if (read_all(fd, header, sizeof header) != 0) return -1;
  uint32_t len = (uint32_t)header[0] << 24 | (uint32_t)header[1] << 16 |
                 (uint32_t)header[2] << 8 | header[3];
  uint32_t id = (uint32_t)header[4] << 24 | (uint32_t)header[5] << 16 |
                (uint32_t)header[6] << 8 | header[7];
  if (id != stream || header[8] != 2 || len > sizeof reply->data) return -1;
  unsigned char frame[MAX_MESSAGE];
  if (read_all(fd, frame, len) != 0) return -1;
  // ttrpc.Response { google.rpc.Status status = 1; bytes payload = 2; }
  uint64_t v;
  const unsigned char *data;
  if (get_field(frame, frame + len, 1, &v, &data) == 0) {
    uint64_t code;
    if (get_field(data, data + v, 1, &code, &(const unsigned char *){0}) == 0 && code != 0) {
      return code > INT_MAX ? -1 : (int)code;
    }
  }
  reply->len = 0;
  if (get_field(frame, frame + len, 2, &v, &data) == 0) {
    memcpy(reply->data, data, v);
    reply->len = v;
  }
  return 0;
}

/* `socket_path` (field 1) of a Create/ConnectResponse into out; its length, or -1. */
static int socket_path_of(const struct buf *reply, char *out, size_t out_size) {
  uint64_t v;
  const unsigned char *data;
  if (get_field(reply->data, reply->data + reply->len, 1, &v, &data) != 0) return -1;
  if (v == 0 || v >= out_size || memchr(data, 0, v)) return -1;
  memcpy(out, data, v);
  out[v] = 0;
  return (int)v;
}

int manager_start(const char *namespace, const char *id, const char *containerd_address,
                  const char *group, char *socket_path, size_t socket_path_size) {
  const char *manager = getenv("CONTAINERD_V8D_SOCKET");
  if (!manager || !*manager) manager = MANAGER_SOCKET_DEFAULT;
  char ttrpc_address[PATH_MAX];
  const char *env_ttrpc = getenv("TTRPC_ADDRESS");
  if (env_ttrpc && *env_ttrpc) snprintf(ttrpc_address, sizeof ttrpc_address, "%s", env_ttrpc);
  else snprintf(ttrpc_address, sizeof ttrpc_address, "%s.ttrpc", containerd_address);
  char bundle[PATH_MAX];
  if (!getcwd(bundle, sizeof bundle)) return -1;

  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(manager) >= sizeof sa.sun_path) return -1;
  strcpy(sa.sun_path, manager);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct timeval timeout = {.tv_sec = CALL_TIMEOUT_S};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  int result = -1;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) goto done;
  struct buf reply;
  uint32_t stream = 1;
  if (strcmp(group, id) != 0) {
    // ConnectRequest { id = 1 (the group); ttrpc_address = 2; namespace = 3; containerd_address = 4 }
    struct buf req = {0};
    put_string(&req, 1, group);
    put_string(&req, 2, ttrpc_address);
    put_string(&req, 3, namespace);
    put_string(&req, 4, containerd_address);
    int status = call(fd, stream, "Connect", &req, &reply);
    stream += 2;
    if (status == 0) {
      result = socket_path_of(&reply, socket_path, socket_path_size);
      goto done;
    }
    if (status != CODE_NOT_FOUND) goto done;
  }
  // CreateRequest { namespace = 1; id = 2; ttrpc_address = 3; working_directory = 4;
  //                 containerd_address = 5 }
  struct buf req = {0};
  put_string(&req, 1, namespace);
  put_string(&req, 2, id);
  put_string(&req, 3, ttrpc_address);
  put_string(&req, 4, bundle);
  put_string(&req, 5, containerd_address);
  if (call(fd, stream, "Create", &req, &reply) == 0) {
    result = socket_path_of(&reply, socket_path, socket_path_size);
  }
done:
  close(fd);
  return result;
}
