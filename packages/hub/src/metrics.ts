/** Prometheus metrics of one hub node (prom-client, a registry per hub so tests can run several). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export class HubMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({
    name: "switchboard_connections",
    help: "Open client connections",
    registers: [this.registry],
  });
  readonly subscriptions = new Gauge({
    name: "switchboard_subscriptions",
    help: "Active subscriptions",
    registers: [this.registry],
  });
  readonly publishes = new Counter({
    name: "switchboard_publishes_total",
    help: "Publications appended through this node",
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: "switchboard_deliveries_total",
    help: "Publications written to subscriber sockets",
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: "switchboard_errors_total",
    help: "Error replies by code",
    labelNames: ["code"],
    registers: [this.registry],
  });
  readonly closes = new Counter({
    name: "switchboard_closes_total",
    help: "Hub-initiated closes by code",
    labelNames: ["code"],
    registers: [this.registry],
  });
  readonly appendSeconds = new Histogram({
    name: "switchboard_append_seconds",
    help: "Broker append latency",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
