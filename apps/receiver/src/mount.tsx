import { createRoot } from "react-dom/client";
import { DEFAULT_CHANNEL } from "./chat-data.js";
import { ReceiverPanel } from "./receiver-panel.js";
import { injectStyles } from "./styles.js";

export interface ReceiverProps {
  /** Channel to show (default `chat:general`). */
  channel?: string;
  /** Called when the list UI crashes, so the host can show a notice and remount. */
  onError?: (error: unknown) => void;
}

/** Unmounts the UI; `update` re-renders with new props (a new channel resubscribes). */
export type Unmount = (() => void) & { update: (props: ReceiverProps) => void };

/** Renders the live message list into `element` (owned by the caller) and returns its unmount function. */
export function mount(element: HTMLElement, props: ReceiverProps = {}): Unmount {
  injectStyles(element.ownerDocument);
  let current = props;
  const root = createRoot(element, {
    onUncaughtError: (error) => current.onError?.(error),
  });
  const render = (next: ReceiverProps) => {
    current = next;
    const channel = next.channel || DEFAULT_CHANNEL;
    // key: a new channel is a fresh list, not a mutation of the old one.
    root.render(<ReceiverPanel key={channel} channel={channel} />);
  };
  render(props);
  const unmount = () => root.unmount();
  return Object.assign(unmount, { update: render });
}
