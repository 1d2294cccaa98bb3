/** The exposed module `sender/sender` (also `sender`): the API other modules and the host use. */
export { DEFAULT_CHANNEL } from "./chat-data.js";
export { mount, type SenderProps, type Unmount } from "./mount.js";
export { type OutgoingMessage, type SendOptions, sendMessage } from "./send-message.js";
