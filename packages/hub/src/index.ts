export * from "./brokers/broker.js";
export * from "./brokers/create-broker.js";
export * from "./config.js";
export * from "./hub.js";
export * from "./hub-defaults.js";
