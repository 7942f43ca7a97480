/**
 * Where the shared-mode daemon listens for its thin shims, unless told otherwise (issue 6). Root
 * only: the directory is 0700 and the socket 0600, like containerd's own sockets.
 */
export const defaultManagerSocket = "/run/containerd-v8d/manager.sock";

/** The environment variable that overrides the manager socket, for the daemon and its shims. */
export const managerSocketEnv = "CONTAINERD_V8D_SOCKET";

/** The daemon's program name, for messages that tell the user what to start. */
export const defaultDaemonName = "containerd-v8d";

/** The manager socket: an explicit choice, else the environment, else the default. */
export function managerSocketPath(explicit?: string): string {
  return explicit || process.env[managerSocketEnv] || defaultManagerSocket;
}
