// A Kubernetes CRI client for the tests: what kubelet would send to containerd's CRI plugin, over
// gRPC on containerd's own socket (the CRI services share the gRPC address, shim-protocol.md
// §8.2). Requests are given as partial messages; missing fields take their protobuf defaults,
// exactly as a Go client's zero values would.
//
//   const cri = new CriClient(containerd.address);
//   t.after(() => cri.close());
//   const { podSandboxId } = await cri.runPodSandbox({ config, runtimeHandler: "v8" });
import { Metadata, credentials, type Client, type ServiceError } from "@grpc/grpc-js";
import { unaryCall, type UnaryMethod } from "../grpc-call.js";
import {
  ContainerStatusRequest,
  CreateContainerRequest,
  ExecSyncRequest,
  ImageServiceClient,
  ImageStatusRequest,
  ListContainersRequest,
  PodSandboxStatusRequest,
  RemoveContainerRequest,
  RemovePodSandboxRequest,
  RunPodSandboxRequest,
  RuntimeServiceClient,
  StartContainerRequest,
  StopContainerRequest,
  StopPodSandboxRequest,
  VersionRequest,
  type ContainerStatusResponse,
  type CreateContainerResponse,
  type DeepPartial,
  type ExecSyncResponse,
  type ImageStatusResponse,
  type ListContainersResponse,
  type PodSandboxStatusResponse,
  type RemoveContainerResponse,
  type RemovePodSandboxResponse,
  type RunPodSandboxResponse,
  type StartContainerResponse,
  type StopContainerResponse,
  type StopPodSandboxResponse,
  type VersionResponse,
} from "./gen/runtime/v1/api.js";

/** How long a call may take unless the method says otherwise (StopContainer adds its grace). */
const DEFAULT_DEADLINE_MS = 30_000;

/** Options of {@link CriClient}. */
export interface CriClientOptions {
  /** The deadline of each call; default 30 s. */
  readonly deadlineMs?: number;
}

/**
 * The CRI RuntimeService and ImageService methods the tests use, each returning a promise that
 * rejects with grpc-js's `ServiceError` (`code`, `details`) when containerd answers an error.
 */
export class CriClient {
  readonly #runtime: RuntimeServiceClient;
  readonly #image: ImageServiceClient;
  readonly #deadlineMs: number;

  /** `socketPath`: containerd's gRPC socket (absolute path). */
  constructor(socketPath: string, options: CriClientOptions = {}) {
    const target = `unix://${socketPath}`;
    this.#runtime = new RuntimeServiceClient(target, credentials.createInsecure());
    // One connection for both services, as kubelet's remote runtime has.
    this.#image = new ImageServiceClient(target, credentials.createInsecure(), {
      channelOverride: this.#runtime.getChannel(),
    });
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  }

  version(init: DeepPartial<VersionRequest> = {}): Promise<VersionResponse> {
    return this.#call(this.#runtime, this.#runtime.version, VersionRequest.fromPartial(init));
  }

  runPodSandbox(init: DeepPartial<RunPodSandboxRequest>): Promise<RunPodSandboxResponse> {
    const request = RunPodSandboxRequest.fromPartial(init);
    return this.#call(this.#runtime, this.#runtime.runPodSandbox, request);
  }

  stopPodSandbox(podSandboxId: string): Promise<StopPodSandboxResponse> {
    const request = StopPodSandboxRequest.fromPartial({ podSandboxId });
    return this.#call(this.#runtime, this.#runtime.stopPodSandbox, request);
  }

  removePodSandbox(podSandboxId: string): Promise<RemovePodSandboxResponse> {
    const request = RemovePodSandboxRequest.fromPartial({ podSandboxId });
    return this.#call(this.#runtime, this.#runtime.removePodSandbox, request);
  }

  podSandboxStatus(podSandboxId: string, verbose = false): Promise<PodSandboxStatusResponse> {
    const request = PodSandboxStatusRequest.fromPartial({ podSandboxId, verbose });
    return this.#call(this.#runtime, this.#runtime.podSandboxStatus, request);
  }

  createContainer(init: DeepPartial<CreateContainerRequest>): Promise<CreateContainerResponse> {
    const request = CreateContainerRequest.fromPartial(init);
    return this.#call(this.#runtime, this.#runtime.createContainer, request);
  }

  startContainer(containerId: string): Promise<StartContainerResponse> {
    const request = StartContainerRequest.fromPartial({ containerId });
    return this.#call(this.#runtime, this.#runtime.startContainer, request);
  }

  /** `timeoutSeconds`: the grace period between the stop signal and SIGKILL (0: SIGKILL at once). */
  stopContainer(containerId: string, timeoutSeconds: number): Promise<StopContainerResponse> {
    const request = StopContainerRequest.fromPartial({
      containerId,
      timeout: BigInt(timeoutSeconds),
    });
    const deadlineMs = this.#deadlineMs + timeoutSeconds * 1000;
    return this.#call(this.#runtime, this.#runtime.stopContainer, request, deadlineMs);
  }

  removeContainer(containerId: string): Promise<RemoveContainerResponse> {
    const request = RemoveContainerRequest.fromPartial({ containerId });
    return this.#call(this.#runtime, this.#runtime.removeContainer, request);
  }

  listContainers(init: DeepPartial<ListContainersRequest> = {}): Promise<ListContainersResponse> {
    const request = ListContainersRequest.fromPartial(init);
    return this.#call(this.#runtime, this.#runtime.listContainers, request);
  }

  containerStatus(containerId: string, verbose = false): Promise<ContainerStatusResponse> {
    const request = ContainerStatusRequest.fromPartial({ containerId, verbose });
    return this.#call(this.#runtime, this.#runtime.containerStatus, request);
  }

  execSync(init: DeepPartial<ExecSyncRequest>): Promise<ExecSyncResponse> {
    const request = ExecSyncRequest.fromPartial(init);
    return this.#call(this.#runtime, this.#runtime.execSync, request);
  }

  /** Resolves with `image` unset when CRI does not know the image. */
  imageStatus(image: string): Promise<ImageStatusResponse> {
    const request = ImageStatusRequest.fromPartial({ image: { image } });
    return this.#call(this.#image, this.#image.imageStatus, request);
  }

  /** Closes the connection; calls made afterwards fail. Idempotent. */
  close(): void {
    this.#image.close();
    this.#runtime.close();
  }

  #call<Req, Res>(
    client: Client,
    method: UnaryMethod<Req, Res>,
    request: Req,
    deadlineMs = this.#deadlineMs,
  ): Promise<Res> {
    return unaryCall(client, method, request, new Metadata(), deadlineMs);
  }
}

/** True when `err` is a gRPC error answer (as opposed to, say, a programming error). */
export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number";
}
