/* The shared-mode shim's `start` in C (manager-start.c), for the launcher. */
#ifndef RUNWASI_MANAGER_START_H
#define RUNWASI_MANAGER_START_H

#include <stddef.h>

/*
 * Asks the shared-mode daemon (its manager socket: $CONTAINERD_V8D_SOCKET, else
 * MANAGER_SOCKET_DEFAULT) for the sandbox of container `id` of `group`, whose bundle is the
 * working directory. Writes the sandbox's socket path into `socket_path` and answers its length;
 * -1 when anything is not as expected (the caller then runs the full implementation).
 */
int manager_start(const char *namespace, const char *id, const char *containerd_address,
                  const char *group, char *socket_path, size_t socket_path_size);

#endif
