import { ManagerDefinition } from "../../api/index.js";
import { Client, createClient, type ServiceClient } from "../../ttrpc/index.js";

/** Where the daemon is, and what to call it in a message. */
export interface ManagerTarget {
  readonly managerSocket: string;
  readonly daemon: string;
}

/** A connection to the daemon's manager service. */
export interface ManagerConnection {
  readonly manager: ServiceClient<typeof ManagerDefinition>;
  close(): void;
}

/**
 * Dials the daemon's manager socket. When nobody listens there the error says so, and how to
 * start the daemon: containerd shows it as the reason the container could not be created.
 */
export async function dialManager(target: ManagerTarget): Promise<ManagerConnection> {
  let client: Client;
  try {
    client = await Client.connect(target.managerSocket);
  } catch (err) {
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    const detail = cause?.code ? ` (${cause.code})` : "";
    throw new Error(
      `${target.daemon} is not running at ${target.managerSocket}${detail}: start it with ` +
        `\`systemctl start ${target.daemon}\`, or run \`${target.daemon} --socket ` +
        `${target.managerSocket}\``,
      { cause: err },
    );
  }
  return {
    manager: createClient(ManagerDefinition, client),
    close: () => void client.close(),
  };
}
