/*
 * runwasi-mount.node: mount(2) and umount2(2) for Node, as a Node-API addon.
 *
 * Node has no mount(2), and running util-linux's `mount` and `umount` through child_process puts
 * a fork of the shim, two execs and util-linux's own start-up (~10–25 ms) on every container's
 * Create and Delete — the start-up path containerd waits for. This is the syscall and nothing
 * more: shim/mount-syscalls.ts parses containerd's options into flags and data (as containerd's
 * mount_linux.go does) and falls back to the commands for anything it does not handle.
 *
 * Both run the syscall on libuv's thread pool and resolve with 0 or the errno (a positive
 * number); they never reject, so the caller decides what an error means (EINVAL from umount2:
 * nothing mounted there). Off the main thread because the kernel can take milliseconds (an
 * unmount waits for an RCU grace period), during which the shim could not answer containerd.
 *
 *   mount(source: string, target: string, fstype: string, flags: number, data: string): Promise<number>
 *   umount2(target: string, flags: number): Promise<number>
 */
#include <errno.h>
#include <node_api.h>
#include <stdlib.h>
#include <sys/mount.h>

/* One call, from the main thread to the pool and back. */
struct call {
  napi_async_work work;
  napi_deferred deferred;
  int is_mount;
  char *source, *target, *fstype, *data;
  int64_t flags;
  int err;
};

static void free_call(struct call *c) {
  free(c->source), free(c->target), free(c->fstype), free(c->data);
  free(c);
}

/* A string argument as a fresh NUL-terminated copy, or NULL (not a string, or no memory). */
static char *string_arg(napi_env env, napi_value value) {
  size_t len;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s && napi_get_value_string_utf8(env, value, s, len + 1, &len) != napi_ok) {
    free(s);
    return NULL;
  }
  return s;
}

/* On the pool: the syscall. */
static void execute(napi_env env, void *data) {
  (void)env;
  struct call *c = data;
  int rc = c->is_mount ? mount(c->source, c->target, c->fstype, (unsigned long)c->flags, c->data)
                       : umount2(c->target, (int)c->flags);
  c->err = rc == 0 ? 0 : errno;
}

/* Back on the main thread: resolve with the errno. */
static void complete(napi_env env, napi_status status, void *data) {
  struct call *c = data;
  napi_value result;
  napi_create_int32(env, status == napi_ok ? c->err : ECANCELED, &result);
  napi_resolve_deferred(env, c->deferred, result);
  napi_delete_async_work(env, c->work);
  free_call(c);
}

/* Queues `c` and returns its promise; a call with bad arguments resolves with EINVAL at once. */
static napi_value queue(napi_env env, struct call *c, int valid) {
  napi_value promise, name;
  if (napi_create_promise(env, &c->deferred, &promise) != napi_ok) {
    free_call(c);
    return NULL;
  }
  if (valid) {
    napi_create_string_utf8(env, c->is_mount ? "mount" : "umount2", NAPI_AUTO_LENGTH, &name);
    if (napi_create_async_work(env, NULL, name, execute, complete, c, &c->work) == napi_ok &&
        napi_queue_async_work(env, c->work) == napi_ok) {
      return promise;
    }
  }
  napi_value einval;
  napi_create_int32(env, EINVAL, &einval);
  napi_resolve_deferred(env, c->deferred, einval);
  free_call(c);
  return promise;
}

static napi_value js_mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  struct call *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->is_mount = 1;
  int valid = napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 5;
  if (valid) {
    c->source = string_arg(env, argv[0]);
    c->target = string_arg(env, argv[1]);
    c->fstype = string_arg(env, argv[2]);
    c->data = string_arg(env, argv[4]);
    valid = c->source && c->target && c->fstype && c->data &&
            napi_get_value_int64(env, argv[3], &c->flags) == napi_ok && c->flags >= 0;
  }
  return queue(env, c, valid);
}

static napi_value js_umount2(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  struct call *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  int valid = napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 2;
  if (valid) {
    c->target = string_arg(env, argv[0]);
    valid = c->target && napi_get_value_int64(env, argv[1], &c->flags) == napi_ok;
  }
  return queue(env, c, valid);
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL},
      {"umount2", NULL, js_umount2, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof *props, props);
  return exports;
}
