export * from "./channel.js";
export * from "./codec.js";
export * from "./codes.js";
export * from "./frames.js";
export * from "./hub-frames.js";
export * from "./json-text.js";
export * from "./validate.js";
