/**
 * The remotes are also plain build-time remotes, so code written for plain build-time remotes keeps working:
 * `import("sender").then(({ sendMessage }) => sendMessage("Hello, receiver!"))`. Exposed on
 * `window.switchboard` for the console and the browser tests.
 */
export function sayHello(): Promise<{ epoch: string; offset: number }> {
  return import("sender").then(({ sendMessage }) => sendMessage("Hello, receiver!"));
}

export function sendMessage(
  message: string | { [key: string]: unknown },
  options?: { channel?: string; author?: string },
): Promise<{ epoch: string; offset: number }> {
  return import("sender").then((sender) => sender.sendMessage(message, options));
}

export function displayMessage(message: string | { text: string; author?: string }): Promise<void> {
  return import("receiver").then((receiver) => receiver.displayMessage(message));
}
