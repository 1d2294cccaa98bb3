/** The exposed module `receiver/receiver` (also `receiver`): the API other modules and the host use. */
export { DEFAULT_CHANNEL } from "./chat-data.js";
export { mount, type ReceiverProps, type Unmount } from "./mount.js";
export { displayMessage, type NoticeInput } from "./notices.js";
