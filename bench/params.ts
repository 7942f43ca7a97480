// How much each row measures: the full run (`make bench`, < 30 min on the 2-core reference
// machine) and the quick one (`make bench-quick`, < 2 min, a smoke check that every row yields a
// number — its figures are too few to trust).

/** Sizes of every row. */
export interface Params {
  /** Cold start: timed `ctr run --rm` per setup, after `coldStartWarmups` untimed ones. */
  readonly coldStartRuns: number;
  readonly coldStartWarmups: number;
  /** Throughput: N tasks per setup, M at a time, split into rounds that alternate the setups. */
  readonly throughputTotal: number;
  readonly throughputConcurrency: number;
  readonly throughputRounds: number;
  /**
   * Memory: numbers of idle containers for every setup, and the larger ones that only shared mode
   * runs (each other setup has a process or more per container: 500 normal-mode shims would need
   * ~25 GiB); how long they idle before PSS is read.
   */
  readonly memoryCounts: readonly number[];
  readonly memorySharedOnlyCounts: readonly number[];
  readonly memorySettleMs: number;
  /** Compute: n-body steps (~1 s natively at 4M on the reference machine) and samples. */
  readonly computeSteps: number;
  readonly computeSamples: number;
  /** WASI: hello instances per child process and children per host. */
  readonly wasiInstances: number;
  readonly wasiInstanceSamples: number;
  /** WASI: files of the file-heavy program and runs per host. */
  readonly wasiFiles: number;
  readonly wasiFileSamples: number;
  /** ttrpc: sequential calls per latency sample, calls per rate sample, samples. */
  readonly ttrpcLatencyCalls: number;
  readonly ttrpcRateCalls: number;
  readonly ttrpcSamples: number;
  /** ttrpc: fresh processes timed per side for the load time. */
  readonly loadRuns: number;
}

export const fullParams: Params = {
  coldStartRuns: 30,
  coldStartWarmups: 2,
  throughputTotal: 1000,
  throughputConcurrency: 8,
  throughputRounds: 4,
  // Issue 6: shared mode at K = 10, 100 and 500, normal mode and runc beside it at 10 and 100.
  memoryCounts: [10, 100],
  memorySharedOnlyCounts: [500],
  memorySettleMs: 2000,
  computeSteps: 4_000_000,
  computeSamples: 5,
  // node:wasi crashes (SIGSEGV) in most processes that instantiate it 1,000 times, and survives
  // 200-400 (2026-11-30): more, smaller samples, so that the baseline has survivors to show.
  wasiInstances: 300,
  wasiInstanceSamples: 11,
  wasiFiles: 10_000,
  wasiFileSamples: 9,
  ttrpcLatencyCalls: 5000,
  ttrpcRateCalls: 50_000,
  ttrpcSamples: 5,
  loadRuns: 40,
};

export const quickParams: Params = {
  coldStartRuns: 3,
  coldStartWarmups: 1,
  throughputTotal: 16,
  throughputConcurrency: 4,
  throughputRounds: 2,
  memoryCounts: [1, 3],
  memorySharedOnlyCounts: [],
  memorySettleMs: 500,
  computeSteps: 100_000,
  computeSamples: 1,
  wasiInstances: 100,
  wasiInstanceSamples: 2,
  wasiFiles: 300,
  wasiFileSamples: 1,
  ttrpcLatencyCalls: 300,
  ttrpcRateCalls: 3000,
  ttrpcSamples: 1,
  loadRuns: 5,
};
