// `ctr run --rm` without the ctr process: the same calls, in the same order, through
// containerd's gRPC API (client.ts). The container's spec, runtime and image come from a template
// container that ctr itself made once (`ctr container create`), so every container is exactly
// what `ctr run` would have made, with only its id changed.
import { randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Containerd } from "../harness/containerd.js";
import type { Container, ContainerdApi, DeepPartial } from "./client.js";

/** What every container made from one template shares; see {@link makeTemplate}. */
export interface ContainerTemplate {
  /** The container record ctr made, with the template's id inside its spec. */
  readonly container: Container;
  /** The template's id, replaced by each container's own wherever the spec names it. */
  readonly templateId: string;
  /** The image's top snapshot (its chain id), the parent of each container's rootfs. */
  readonly parent: string;
  /** The spec as JSON text, the form containerd stores it in (`types.containerd.io/…/Spec`). */
  readonly specJson: string;
}

/**
 * Has ctr create (and then remove) a container of `image` with `args` (ctr's own flags first,
 * e.g. `--runtime io.containerd.v8.v1`), and keeps what it made as the template of containers
 * that {@link runRm} starts.
 */
export async function makeTemplate(
  c: Containerd,
  api: ContainerdApi,
  ctrFlags: readonly string[],
  image: string,
  args: readonly string[],
): Promise<ContainerTemplate> {
  const templateId = `template-${randomBytes(6).toString("hex")}`;
  const created = await c.ctr(["container", "create", ...ctrFlags, image, templateId, ...args]);
  if (created.code !== 0) throw new Error(`ctr container create: ${created.stderr.trim()}`);
  try {
    const container = await api.getContainer(templateId);
    const info = await c.ctr([
      "snapshot",
      "--snapshotter",
      container.snapshotter,
      "info",
      templateId,
    ]);
    if (info.code !== 0) throw new Error(`ctr snapshot info: ${info.stderr.trim()}`);
    const parent = (JSON.parse(info.stdout) as { Parent?: string }).Parent;
    if (!parent) throw new Error(`snapshot ${templateId} has no parent: ${info.stdout}`);
    const specJson = Buffer.from(container.spec?.value ?? []).toString("utf8");
    return { container, templateId, parent, specJson };
  } finally {
    await c.ctr(["container", "rm", templateId]);
  }
}

/** What one {@link runRm} saw. */
export interface RunResult {
  readonly exitStatus: number;
  /** Everything the container wrote on stdout and stderr (one file, as `ctr run --log-uri`). */
  readonly output: string;
}

/**
 * Runs container `id` of `template` to its end and removes it, as `ctr run --rm --log-uri
 * file://…` would: a lease, the rootfs snapshot, the container record, then its task (Wait before
 * Start, so no exit is missed), and afterwards task, snapshot and container are deleted. Its
 * output goes to a file in `logDir`, read and removed at the end. Whatever fails, what was made
 * is removed before the error is thrown.
 */
export async function runRm(
  api: ContainerdApi,
  template: ContainerTemplate,
  id: string,
  logDir: string,
): Promise<RunResult> {
  const { snapshotter } = template.container;
  const log = path.join(logDir, `${id}.log`);
  let made: Made = "nothing";
  try {
    const lease = `${id}-lease`;
    await api.createLease(lease);
    let rootfs;
    try {
      rootfs = await api.prepareSnapshot(snapshotter, id, template.parent, lease);
      made = "snapshot";
      await api.createContainer(containerOf(template, id), lease);
      made = "container";
    } finally {
      await api.deleteLease(lease);
    }
    const uri = `file://${log}`;
    await api.createTask(id, rootfs, { stdout: uri, stderr: uri });
    made = "task";
    const exited = api.waitTask(id);
    // If Start fails, nobody awaits the wait: keep it from being an unhandled rejection.
    exited.catch(() => {});
    await api.startTask(id);
    const { exitStatus } = await exited;
    await api.deleteTask(id);
    made = "container";
    // ctr's order (WithSnapshotCleanup runs before the record goes): while the container record
    // exists, the garbage collector cannot take the snapshot first.
    await api.removeSnapshot(snapshotter, id);
    await api.deleteContainer(id);
    made = "removed";
    return { exitStatus, output: await readFile(log, "utf8") };
  } finally {
    await removeAfterFailure(api, template, id, made);
    await rm(log, { force: true });
  }
}

/** How far a run got (what exists of it now), so a failure removes exactly what was made. */
type Made = "nothing" | "snapshot" | "container" | "task" | "removed";

/** Best effort: removes what a failed run left, from its task down to its snapshot. */
async function removeAfterFailure(
  api: ContainerdApi,
  template: ContainerTemplate,
  id: string,
  made: Made,
): Promise<void> {
  const ignore = () => {};
  if (made === "task") {
    await api.killTask(id, SIGKILL).catch(ignore);
    await Promise.race([api.waitTask(id).catch(ignore), sleep(5_000)]);
    await api.deleteTask(id).catch(ignore);
  }
  if (made !== "nothing" && made !== "removed") {
    await api.removeSnapshot(template.container.snapshotter, id).catch(ignore);
  }
  if (made === "task" || made === "container") await api.deleteContainer(id).catch(ignore);
}

const SIGKILL = 9;

/** The template's container record with `id` in its place. */
function containerOf(template: ContainerTemplate, id: string): DeepPartial<Container> {
  const { container, templateId, specJson } = template;
  return {
    id,
    image: container.image,
    labels: container.labels,
    runtime: container.runtime,
    snapshotter: container.snapshotter,
    snapshotKey: id,
    spec: {
      typeUrl: container.spec?.typeUrl,
      value: Buffer.from(specJson.replaceAll(templateId, id)),
    },
  };
}
