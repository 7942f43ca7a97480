/*
 * runwasi-mount.node: mount(2) and umount2(2) for Node, as a Node-API addon.
 *
 * Node has no mount(2), and running util-linux's `mount` and `umount` through child_process puts
 * a fork of the shim, two execs and util-linux's own start-up (~10–25 ms) on every container's
 * Create and Delete — the start-up path containerd waits for. This is the syscall and nothing
 * more: shim/mount-syscalls.ts parses containerd's options into flags and data (as containerd's
 * mount_linux.go does) and falls back to the commands for anything it does not handle.
 *
 * Both functions return 0 or the errno (a positive number); they never throw, so the caller
 * decides what an error means (EINVAL from umount2: nothing mounted there).
 *
 *   mount(source: string, target: string, fstype: string, flags: number, data: string): number
 *   umount2(target: string, flags: number): number
 */
#include <errno.h>
#include <node_api.h>
#include <stdlib.h>
#include <sys/mount.h>

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

static napi_value errno_value(napi_env env, int err) {
  napi_value result;
  napi_create_int32(env, err, &result);
  return result;
}

static napi_value js_mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) {
    return errno_value(env, EINVAL);
  }
  char *source = string_arg(env, argv[0]);
  char *target = string_arg(env, argv[1]);
  char *fstype = string_arg(env, argv[2]);
  char *data = string_arg(env, argv[4]);
  int64_t flags;
  int err = EINVAL;
  if (source && target && fstype && data &&
      napi_get_value_int64(env, argv[3], &flags) == napi_ok && flags >= 0) {
    err = mount(source, target, fstype, (unsigned long)flags, data) == 0 ? 0 : errno;
  }
  free(source), free(target), free(fstype), free(data);
  return errno_value(env, err);
}

static napi_value js_umount2(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    return errno_value(env, EINVAL);
  }
  char *target = string_arg(env, argv[0]);
  int32_t flags;
  int err = EINVAL;
  if (target && napi_get_value_int32(env, argv[1], &flags) == napi_ok) {
    err = umount2(target, flags) == 0 ? 0 : errno;
  }
  free(target);
  return errno_value(env, err);
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL},
      {"umount2", NULL, js_umount2, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof *props, props);
  return exports;
}
