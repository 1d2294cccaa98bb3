// What the host knows of its remotes: the modules `sender` and `receiver` as declared in
// apps/sender/src/sender.ts and apps/receiver/src/receiver.ts (never imported statically: they
// are built and deployed on their own, and loaded at run time).

/** Shared by both remotes: render into an element the host owns; the result unmounts. */
interface SwitchboardMountable<P> {
  mount(element: HTMLElement, props?: P): (() => void) & { update?: (props: P) => void };
}

interface SwitchboardSenderProps {
  channel?: string;
  author?: string;
  onError?: (error: unknown) => void;
}

interface SwitchboardReceiverProps {
  channel?: string;
  onError?: (error: unknown) => void;
}

declare module "sender" {
  export function sendMessage(
    message: string | { [key: string]: unknown },
    options?: { channel?: string; author?: string; key?: string; timeoutMs?: number },
  ): Promise<{ epoch: string; offset: number }>;
  export const mount: SwitchboardMountable<SwitchboardSenderProps>["mount"];
}

declare module "receiver" {
  export function displayMessage(message: string | { text: string; author?: string }): void;
  export const mount: SwitchboardMountable<SwitchboardReceiverProps>["mount"];
}
