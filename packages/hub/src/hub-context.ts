import type { Authenticator } from "./auth.js";
import type { Broker } from "./brokers/broker.js";
import type { ChannelRegistry } from "./channel-registry.js";
import type { HubConfig, HubLimits } from "./config.js";
import type { FlushScheduler } from "./flush-scheduler.js";
import type { Logger } from "./logger.js";
import type { HubMetrics } from "./metrics.js";

/** What every session of one hub node shares. */
export interface HubContext {
  readonly node: string;
  readonly config: HubConfig;
  readonly limits: HubLimits;
  readonly broker: Broker;
  readonly auth: Authenticator;
  readonly channels: ChannelRegistry;
  readonly metrics: HubMetrics;
  readonly log: Logger;
  readonly flusher: FlushScheduler;
}
