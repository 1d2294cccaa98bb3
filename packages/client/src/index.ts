export { ErrorCode } from "@switchboard/protocol";
export type { Client, Subscription } from "./api.js";
export { createClient } from "./client.js";
export type { WebSocketCtor, WebSocketLike } from "./connection/socket-types.js";
export { clientDefaults } from "./defaults.js";
export type { Listener, Unsubscribe } from "./emitter.js";
export { ClientErrorCode, SwitchboardError, type SwitchboardErrorCode } from "./errors.js";
export * from "./federation/switchboard-shared.js";
export {
  getSharedClient,
  PAGE_CLIENT_KEY,
  type PageClientRecord,
  resetSharedClient,
} from "./shared-client.js";
export type * from "./types.js";
