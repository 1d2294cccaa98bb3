/**
 * The remotes are also plain build-time remotes, so code written for plain build-time remotes keeps working:
 * `import("sender").then(({ sendMessage }) => sendMessage("Hello, receiver!"))`. Exposed on
 * `window.switchboard` for the console and the browser tests.
 */
import type { NoticeInput } from "receiver/receiver";
import type { OutgoingMessage, SendOptions } from "sender/sender";

export function sayHello(): Promise<{ epoch: string; offset: number }> {
  return import("sender").then(({ sendMessage }) => sendMessage("Hello, receiver!"));
}

export function sendMessage(
  message: OutgoingMessage,
  options?: Pick<SendOptions, "channel" | "author">,
): Promise<{ epoch: string; offset: number }> {
  return import("sender").then((sender) => sender.sendMessage(message, options));
}

export function displayMessage(message: NoticeInput): Promise<void> {
  return import("receiver").then((receiver) => receiver.displayMessage(message));
}
