/** Sizes of the peer bench's workloads (one object, every limit named) and the figures a run reports. */
export const PEER_DEFAULTS = {
  subscribers: 1_000,
  seconds: 5,
  /** Saturated fan-out: publications in flight (each worker waits for its ack). */
  window: 50,
  /** Fixed rate and cross-node: each publication travels alone. */
  fixedRate: 50,
  channels: 5_000,
  /** Publications per second over all channels of the channels workload, round robin. */
  channelRate: 1_000,
  idleConnections: 19_000,
  /** Idle connections share a channel in groups this large (presence stays modest). */
  idlePerChannel: 20,
  /** Longer than one heartbeat interval (25 s for all three), so idle CPU includes heartbeats. */
  idleSeconds: 26,
  storm: 5_000,
  /** Connection attempts in flight during the connect storm (the listen backlog is 511). */
  stormConcurrency: 500,
  connectConcurrency: 100,
  payloadBytes: 100,
  redisUrl: "redis://127.0.0.1:6379",
  /** Waiting for the last copies after publishing stops; missing ones then count as lost. */
  drainSeconds: 15,
  /** A run that takes longer fails (a stuck server must not hang the bench). */
  runTimeoutSeconds: 300,
} as const;

export type PeerSizes = { -readonly [K in keyof typeof PEER_DEFAULTS]: (typeof PEER_DEFAULTS)[K] };

/** Every figure a run can produce; each workload fills the ones listed in FIGURES. */
export interface Figures {
  deliveriesPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Server CPU (all its nodes, user + system) per delivered copy. */
  cpuMicrosPerCopy: number;
  userMicrosPerCopy: number;
  systemMicrosPerCopy: number;
  /** Server write syscalls (all its nodes, `/proc/<pid>/io` syscw) per delivered copy. */
  writesPerCopy: number;
  /** The load generator's own CPU (percent of one core): near 100, it, not the server, set the pace. */
  loadGeneratorCpuPercent: number;
  /** RSS growth per idle subscribed connection, after the idle window and a forced GC. */
  rssKiBPerConnection: number;
  heapKiBPerConnection: number;
  /** Server CPU while idle (heartbeats only), percent of one core. */
  idleCpuPercent: number;
  /** Wall time until every client was connected and subscribed. */
  connectSeconds: number;
  connectP50Ms: number;
  connectP99Ms: number;
}
export type FigureName = keyof Figures;
