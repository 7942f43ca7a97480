import net from "node:net";

/**
 * Whether something accepts connections on `socketPath` (runc's reuse test, shim-protocol.md
 * §3.5). A refused or missing socket answers at once; a peer that never accepts counts as dead
 * after `timeoutMs`.
 */
export function isServing(socketPath: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    const done = (serving: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(serving);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
