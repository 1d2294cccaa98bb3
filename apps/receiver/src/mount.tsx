import { resolvePageClient, SwitchboardAlert, SwitchboardProvider } from "@switchboard/react";
import { createRoot } from "react-dom/client";
import { DEFAULT_CHANNEL } from "./chat-data.js";
import { ReceiverPanel } from "./receiver-panel.js";
import { injectStyles } from "./styles.js";

export interface ReceiverProps {
  /** Channel to show (default `chat:general`). */
  channel?: string;
  /**
   * Hub WebSocket URL for a page that has no Switchboard client: the receiver then creates the
   * page's client itself. Ignored when the page already has one.
   */
  hubUrl?: string;
  /** Called when the list UI crashes, so the host can show a notice and remount. */
  onError?: (error: unknown) => void;
}

/** Unmounts the UI; `update` re-renders with new props (a new channel resubscribes). */
export type Unmount = (() => void) & { update: (props: ReceiverProps) => void };

/**
 * Renders the live message list into `element` (owned by the caller) and returns its unmount
 * function. Without a client on the page and without `hubUrl` it renders role="alert" instead
 * (and says why in the console): never an empty box.
 */
export function mount(element: HTMLElement, props: ReceiverProps = {}): Unmount {
  injectStyles(element.ownerDocument);
  let current = props;
  let reported = "";
  const root = createRoot(element, {
    onUncaughtError: (error) => current.onError?.(error),
  });
  const render = (next: ReceiverProps) => {
    current = next;
    const channel = next.channel || DEFAULT_CHANNEL;
    const page = resolvePageClient({ hubUrl: next.hubUrl, name: "receiver" });
    if (!page.ok) {
      if (reported !== page.error.message) console.error(`[switchboard] receiver: ${page.error.message}`);
      reported = page.error.message;
      root.render(<SwitchboardAlert module="receiver" error={page.error} />);
      return;
    }
    // key: a new channel is a fresh list, not a mutation of the old one.
    root.render(
      <SwitchboardProvider client={page.client}>
        <ReceiverPanel key={channel} channel={channel} />
      </SwitchboardProvider>,
    );
  };
  render(props);
  const unmount = () => root.unmount();
  return Object.assign(unmount, { update: render });
}
