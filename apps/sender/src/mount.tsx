import { createRoot } from "react-dom/client";
import { DEFAULT_CHANNEL } from "./chat-data.js";
import { ComposeBox } from "./compose-box.js";
import { setSendDefaults } from "./send-message.js";
import { injectStyles } from "./styles.js";

export interface SenderProps {
  /** Channel the compose box publishes in (default `chat:general`). */
  channel?: string;
  /** Display name stored with each message. */
  author?: string;
  /** Called when the compose UI crashes, so the host can show a notice and remount. */
  onError?: (error: unknown) => void;
}

/** Unmounts the UI; `update` re-renders with new props (keeping the draft). */
export type Unmount = (() => void) & { update: (props: SenderProps) => void };

/** Renders the compose box into `element` (owned by the caller) and returns its unmount function. */
export function mount(element: HTMLElement, props: SenderProps = {}): Unmount {
  injectStyles(element.ownerDocument);
  let current = props;
  const root = createRoot(element, {
    onUncaughtError: (error) => current.onError?.(error),
  });
  const render = (next: SenderProps) => {
    current = next;
    const channel = next.channel || DEFAULT_CHANNEL;
    setSendDefaults({ channel, author: next.author });
    root.render(<ComposeBox channel={channel} author={next.author} />);
  };
  render(props);
  const unmount = () => root.unmount();
  return Object.assign(unmount, { update: render });
}
