// A client of containerd's own gRPC API (not CRI): the few calls that `ctr run --rm` makes, so the
// stress driver can run containers without a `ctr` process per container — which is how
// Kubernetes and other daemons drive containerd (architecture.md, decision 6: each `ctr` costs
// ~14 ms of CPU, a large share of a warm runtime's budget).
//
//   const api = new ContainerdApi(containerd.address, containerd.namespace);
//   t.after(() => api.close());
//   await api.deleteContainer("x");
import { Metadata, credentials, type Client } from "@grpc/grpc-js";
import { unaryCall, type UnaryMethod } from "../grpc-call.js";
import {
  ContainersClient,
  CreateContainerRequest,
  DeleteContainerRequest,
  GetContainerRequest,
  type Container,
  type DeepPartial,
} from "./gen/containerd/services/containers/v1/containers.js";
import {
  CreateRequest as CreateLeaseRequest,
  DeleteRequest as DeleteLeaseRequest,
  LeasesClient,
} from "./gen/containerd/services/leases/v1/leases.js";
import {
  PrepareSnapshotRequest,
  RemoveSnapshotRequest,
  SnapshotsClient,
} from "./gen/containerd/services/snapshots/v1/snapshots.js";
import {
  CreateTaskRequest,
  DeleteTaskRequest,
  KillRequest,
  StartRequest,
  TasksClient,
  WaitRequest,
  type DeleteResponse,
  type WaitResponse,
} from "./gen/containerd/services/tasks/v1/tasks.js";
import type { Mount } from "./gen/containerd/types/mount.js";

export type { Container, DeepPartial, Mount };

/** How long a call may take unless the caller says otherwise. Wait has none: it lasts a task. */
const DEFAULT_DEADLINE_MS = 60_000;

/**
 * containerd's containers, tasks, snapshots and leases services in one namespace, over one
 * connection. Each method returns a promise that rejects with grpc-js's `ServiceError`.
 */
export class ContainerdApi {
  readonly #namespace: string;
  readonly #containers: ContainersClient;
  readonly #tasks: TasksClient;
  readonly #snapshots: SnapshotsClient;
  readonly #leases: LeasesClient;

  /** `socketPath`: containerd's gRPC socket (absolute path). */
  constructor(socketPath: string, namespace: string) {
    this.#namespace = namespace;
    const target = `unix://${socketPath}`;
    this.#containers = new ContainersClient(target, credentials.createInsecure());
    const shared = { channelOverride: this.#containers.getChannel() };
    this.#tasks = new TasksClient(target, credentials.createInsecure(), shared);
    this.#snapshots = new SnapshotsClient(target, credentials.createInsecure(), shared);
    this.#leases = new LeasesClient(target, credentials.createInsecure(), shared);
  }

  /** A lease keeps what is made under it (a new snapshot) from containerd's garbage collector. */
  async createLease(id: string): Promise<void> {
    const request = CreateLeaseRequest.fromPartial({ id });
    await this.#call(this.#leases, this.#leases.create, request);
  }

  async deleteLease(id: string): Promise<void> {
    await this.#call(this.#leases, this.#leases.delete, DeleteLeaseRequest.fromPartial({ id }));
  }

  /** A new active snapshot `key` on top of the committed `parent`; returns its mounts. */
  async prepareSnapshot(
    snapshotter: string,
    key: string,
    parent: string,
    lease: string,
  ): Promise<Mount[]> {
    const request = PrepareSnapshotRequest.fromPartial({ snapshotter, key, parent });
    const r = await this.#call(this.#snapshots, this.#snapshots.prepare, request, { lease });
    return r.mounts;
  }

  async removeSnapshot(snapshotter: string, key: string): Promise<void> {
    const request = RemoveSnapshotRequest.fromPartial({ snapshotter, key });
    await this.#call(this.#snapshots, this.#snapshots.remove, request);
  }

  async getContainer(id: string): Promise<Container> {
    const request = GetContainerRequest.fromPartial({ id });
    const r = await this.#call(this.#containers, this.#containers.get, request);
    if (r.container === undefined) throw new Error(`containerd returned no container ${id}`);
    return r.container;
  }

  async createContainer(container: DeepPartial<Container>, lease: string): Promise<void> {
    const request = CreateContainerRequest.fromPartial({ container });
    await this.#call(this.#containers, this.#containers.create, request, { lease });
  }

  async deleteContainer(id: string): Promise<void> {
    const request = DeleteContainerRequest.fromPartial({ id });
    await this.#call(this.#containers, this.#containers.delete, request);
  }

  /** Creates the task of container `id`; stdio are paths or URIs ("" = none). Returns its pid. */
  async createTask(
    id: string,
    rootfs: readonly Mount[],
    stdio: { readonly stdout: string; readonly stderr: string },
  ): Promise<number> {
    const request = CreateTaskRequest.fromPartial({
      containerId: id,
      rootfs: [...rootfs],
      ...stdio,
    });
    const r = await this.#call(this.#tasks, this.#tasks.create, request);
    return r.pid;
  }

  async startTask(id: string): Promise<number> {
    const r = await this.#call(
      this.#tasks,
      this.#tasks.start,
      StartRequest.fromPartial({ containerId: id }),
    );
    return r.pid;
  }

  /** Resolves when the task exits (or at once if it has); no deadline, like `ctr run`'s wait. */
  waitTask(id: string): Promise<WaitResponse> {
    const request = WaitRequest.fromPartial({ containerId: id });
    return this.#call(this.#tasks, this.#tasks.wait, request, { deadlineMs: Infinity });
  }

  async killTask(id: string, signal: number): Promise<void> {
    const request = KillRequest.fromPartial({ containerId: id, signal });
    await this.#call(this.#tasks, this.#tasks.kill, request);
  }

  deleteTask(id: string): Promise<DeleteResponse> {
    const request = DeleteTaskRequest.fromPartial({ containerId: id });
    return this.#call(this.#tasks, this.#tasks.delete, request);
  }

  /** Closes the connection; calls made afterwards fail. Idempotent. */
  close(): void {
    for (const c of [this.#tasks, this.#snapshots, this.#leases, this.#containers]) c.close();
  }

  #call<Req, Res>(
    client: Client,
    method: UnaryMethod<Req, Res>,
    request: Req,
    options: { readonly lease?: string; readonly deadlineMs?: number } = {},
  ): Promise<Res> {
    // containerd reads the namespace (and the lease, if any) of every call from its metadata.
    const metadata = new Metadata();
    metadata.set("containerd-namespace", this.#namespace);
    if (options.lease !== undefined) metadata.set("containerd-lease", options.lease);
    const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    return unaryCall(
      client,
      method,
      request,
      metadata,
      deadlineMs === Infinity ? undefined : deadlineMs,
    );
  }
}
