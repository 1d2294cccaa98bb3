export type { ChannelMessage, ChannelView, DeliveryStatus } from "./channel-log.js";
export { SwitchboardProvider, type SwitchboardProviderProps, useClient } from "./context.js";
export { reactDefaults } from "./defaults.js";
export {
  NOT_CONFIGURED,
  type PageClientOptions,
  type PageClientResult,
  resolvePageClient,
} from "./page-client.js";
export type { ChannelSubscribeOptions } from "./subscription-registry.js";
export { SwitchboardAlert, type SwitchboardAlertProps } from "./switchboard-alert.js";
export { type UseChannelOptions, useChannel } from "./use-channel.js";
export { type ConnectionView, useConnectionState } from "./use-connection-state.js";
export { useOutbox } from "./use-outbox.js";
export { type PresenceView, usePresence } from "./use-presence.js";
export { type Publish, usePublish } from "./use-publish.js";
export { type AttachSubscription, type UseSubscriptionOptions, useSubscription } from "./use-subscription.js";
export { useTabRole } from "./use-tab-role.js";
