// sock_accept, sock_recv, sock_send, sock_shutdown. A WASI program only has sockets its host
// handed it as fds (stdio may be one); send and receive are that fd's writes and reads. Anything
// that is not a socket answers ENOTSOCK, as the witx and Linux do.

import { fstatSync } from "node:fs";
import { Errno, errnoOf, WasiErrno } from "./errno.js";
import { SDFLAGS_MASK } from "./abi.js";
import type { WasiContext } from "./context.js";
import type { createFdIo } from "./fd-io.js";

/** Creates the socket calls over the fd-io calls `fd_read` and `fd_write`. */
export function createSockCalls(
  ctx: WasiContext,
  io: Pick<ReturnType<typeof createFdIo>, "fd_read" | "fd_write">,
) {
  const { fd_read: fdRead, fd_write: fdWrite } = io;

  /** EBADF for a closed fd, ENOTSOCK for anything but a socket. */
  const needSocket = (fd: number): void => {
    const entry = ctx.fds.get(fd);
    if (entry.hostFd < 0 || !fstatSync(entry.hostFd).isSocket()) {
      throw new WasiErrno(Errno.NOTSOCK);
    }
  };

  /** Clears ro_flags after a successful receive (no flag applies to a plain read). */
  const received = (errno: number, roflags: number): number => {
    try {
      if (errno === Errno.SUCCESS) ctx.mem.refresh().view.setUint16(roflags, 0, true);
      return errno;
    } catch (error) {
      return errnoOf(error);
    }
  };

  return {
    sock_accept(fd: number, _flags: number, _out: number): number {
      try {
        needSocket(fd);
        return Errno.NOTSUP; // Node offers no synchronous accept(2) on a raw fd
      } catch (error) {
        return errnoOf(error);
      }
    },

    sock_recv(
      fd: number,
      iovs: number,
      n: number,
      flags: number,
      nread: number,
      roflags: number,
    ): number | Promise<number> {
      try {
        needSocket(fd);
        if (flags !== 0) return Errno.NOTSUP; // RECV_PEEK / RECV_WAITALL need recv(2)
        const errno = fdRead(fd, iovs, n, nread);
        // A read that had to wait ("suspend" mode) reports its flags when it is done.
        if (typeof errno !== "number") return errno.then((e) => received(e, roflags));
        return received(errno, roflags);
      } catch (error) {
        return errnoOf(error);
      }
    },

    sock_send(
      fd: number,
      iovs: number,
      n: number,
      _flags: number,
      nwritten: number,
    ): number | Promise<number> {
      try {
        needSocket(fd);
        return fdWrite(fd, iovs, n, nwritten);
      } catch (error) {
        return errnoOf(error);
      }
    },

    sock_shutdown(fd: number, how: number): number {
      try {
        needSocket(fd);
        if (how === 0 || (how & ~SDFLAGS_MASK) !== 0) return Errno.INVAL;
        return Errno.NOTSUP; // Node has no shutdown(2) for a raw fd
      } catch (error) {
        return errnoOf(error);
      }
    },
  };
}
