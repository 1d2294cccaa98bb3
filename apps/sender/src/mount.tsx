import { resolvePageClient, SwitchboardAlert, SwitchboardProvider } from "@switchboard/react";
import { createRoot } from "react-dom/client";
import { DEFAULT_CHANNEL } from "./chat-data.js";
import { ComposeBox } from "./compose-box.js";
import { setSendDefaults } from "./send-message.js";
import { injectStyles } from "./styles.js";

export interface SenderProps {
  /** Channel the compose box publishes in (default `chat:general`). */
  channel?: string;
  /** Display name stored with each message (the hub's verified identity, when there is one, is separate). */
  author?: string;
  /**
   * Hub WebSocket URL for a page that has no Switchboard client: the sender then creates the
   * page's client itself. Ignored when the page already has one.
   */
  hubUrl?: string;
  /** Called when the compose UI crashes, so the host can show a notice and remount. */
  onError?: (error: unknown) => void;
}

/** Unmounts the UI; `update` re-renders with new props (keeping the draft). */
export type Unmount = (() => void) & { update: (props: SenderProps) => void };

/**
 * Renders the compose box into `element` (owned by the caller) and returns its unmount function.
 * Without a client on the page and without `hubUrl` it renders role="alert" instead (and says
 * why in the console): never an empty box.
 */
export function mount(element: HTMLElement, props: SenderProps = {}): Unmount {
  injectStyles(element.ownerDocument);
  let current = props;
  let reported = "";
  const root = createRoot(element, {
    onUncaughtError: (error) => current.onError?.(error),
  });
  const render = (next: SenderProps) => {
    current = next;
    const channel = next.channel || DEFAULT_CHANNEL;
    const page = resolvePageClient({ hubUrl: next.hubUrl, name: next.author || "sender" });
    if (!page.ok) {
      if (reported !== page.error.message) console.error(`[switchboard] sender: ${page.error.message}`);
      reported = page.error.message;
      root.render(<SwitchboardAlert module="sender" error={page.error} />);
      return;
    }
    setSendDefaults({ channel, author: next.author });
    root.render(
      <SwitchboardProvider client={page.client}>
        <ComposeBox channel={channel} author={next.author} />
      </SwitchboardProvider>,
    );
  };
  render(props);
  const unmount = () => root.unmount();
  return Object.assign(unmount, { update: render });
}
