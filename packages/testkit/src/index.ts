export * from "./find-executable.js";
export * from "./free-port.js";
export * from "./http.js";
export * from "./hub-process.js";
export * from "./in-batches.js";
export * from "./temp-dir.js";
export * from "./test-hub.js";
export * from "./wait-for.js";
