import { statSync } from "node:fs";
import type { InstanceConfig, InstanceFactory, OciSpec } from "../shim/index.js";
import { Code, TtrpcError } from "../shim/index.js";
import type { CoHostThreads } from "./co-host.js";
import type { ModuleLoader } from "./module-cache.js";
import { loadModule, parseEntrypoint, resolveModulePath } from "./module-loader.js";
import type { Preopen } from "./protocol.js";
import { parseStdio } from "./stdio.js";
import { ownThread } from "./own-thread.js";
import type { RunHost } from "./run-host.js";
import { V8Instance } from "./v8-instance.js";
import { WorkerPool } from "./worker-pool.js";

/** The V8 engine as a shim sees it: a factory of instances, and a way to warm it up early. */
export interface V8Engine {
  readonly instances: InstanceFactory;
  /** Starts a worker thread now, so the first container does not wait for one. */
  prewarm(): void;
  close(): Promise<void>;
}

/**
 * Creates the engine: Node's own V8 running WASI modules through this project's `wasi/` host.
 * `modules` compiles each container's module (default: read and compile every time); a
 * long-lived process passes a `ModuleCache`'s loader instead.
 */
export function createV8Engine(
  options: { pool?: WorkerPool; modules?: ModuleLoader; coHost?: CoHostThreads } = {},
): V8Engine {
  const pool = options.pool ?? new WorkerPool();
  const modules = options.modules ?? loadModule;
  const hosts: Hosts = { ownThread: ownThread(pool), coHost: options.coHost };
  return {
    instances: (config) => createInstance(config, hosts, modules),
    prewarm: () => {
      pool.prewarm(1);
      options.coHost?.prewarm();
    },
    close: async () => {
      await Promise.all([pool.close(), options.coHost?.close()]);
    },
  };
}

/** Where runs go: co-hosted when the engine co-hosts and the module could be rewritten for it. */
interface Hosts {
  readonly ownThread: RunHost;
  readonly coHost: CoHostThreads | undefined;
}

/**
 * Everything that can be checked before Start is checked here, so a bad image fails `ctr run` at
 * create with a message naming the problem, and nothing is left running.
 */
async function createInstance(
  config: InstanceConfig,
  hosts: Hosts,
  modules: ModuleLoader,
): Promise<V8Instance> {
  const args = config.spec.process?.args;
  if (!args || args.length === 0 || !args[0]) {
    throw new TtrpcError(
      Code.InvalidArgument,
      "config.json has no process.args: give the image an entrypoint (the module path, e.g. " +
        "/app.wasm) or pass the module path as the first argument after the container id",
    );
  }
  const entry = parseEntrypoint(args[0]);
  const file = await resolveModulePath(config.rootfs, entry.guestPath);
  const memoryLimitBytes = memoryLimitOf(config.spec);
  const module = await modules(file, entry, {
    memoryLimitBytes,
    coHostExport: hosts.coHost ? entry.exportName : undefined,
  });
  // Refuse unsupported stdio now rather than at Start.
  parseStdio(config.stdin, "stdin");
  parseStdio(config.stdout, "stdout");
  parseStdio(config.stderr, "stderr");
  return new V8Instance(
    {
      module,
      exportName: entry.exportName,
      args: [entry.guestPath, ...args.slice(1)],
      env: config.spec.process?.env ?? [],
      cwd: config.spec.process?.cwd || "/",
      preopens: preopensOf(config.spec, config.rootfs),
      io: { stdin: config.stdin, stdout: config.stdout, stderr: config.stderr },
      container: { id: config.id, namespace: config.namespace },
      memoryLimitBytes,
    },
    module.coHosted && hosts.coHost ? hosts.coHost.host : hosts.ownThread,
  );
}

/** The container's memory limit in bytes, if it has one (`ctr --memory-limit`, CRI limits). */
function memoryLimitOf(spec: OciSpec): number | undefined {
  const limit = spec.linux?.resources?.memory?.limit;
  return typeof limit === "number" && limit > 0 ? limit : undefined;
}

/**
 * The directories the module may reach: the container's root as `/`, plus each bind mount of the
 * spec at its destination (read-only when its options say `ro`). Pseudo filesystems that ctr and
 * CRI always add (/proc, /dev, /sys…) mean nothing to a wasm module and are left out.
 */
export function preopensOf(spec: OciSpec, rootfs: string): Preopen[] {
  const preopens: Preopen[] = [
    { guestPath: "/", hostPath: rootfs, readOnly: spec.root?.readonly === true },
  ];
  for (const m of spec.mounts ?? []) {
    const options = m.options ?? [];
    const isBind = m.type === "bind" || options.includes("bind") || options.includes("rbind");
    if (!isBind || !m.source || !isDirectory(m.source)) continue;
    preopens.push({
      guestPath: m.destination,
      hostPath: m.source,
      readOnly: options.includes("ro"),
    });
  }
  return preopens;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
