import { defaultRangeExtractor, type Range, useVirtualizer, type Virtualizer } from "@tanstack/react-virtual";
import { memo, useCallback, useRef } from "react";
import { authorLabel } from "./chat-data.js";
import type { FeedItem } from "./feed-store.js";

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
const STATUS_LABEL = { pending: "Sending…", sent: "Sent", failed: "Not sent" } as const;
/** A pending message while the hub is unreachable waits in the client's outbox. */
const QUEUED_LABEL = "Queued";

export interface MessageListProps {
  items: readonly FeedItem[];
  channel: string;
  history: "loading" | "ready" | "failed";
  /** The hub verifies identities (some message or member carries a hub-stamped user). */
  authenticated?: boolean;
  /** The hub is unreachable: own pending messages are queued, not being sent. */
  offline?: boolean;
}

/**
 * The page's one `role="log"`: virtualized (only ~visible rows are in the DOM), pinned to the
 * newest message while the reader is at the bottom, and the newest row is always rendered even
 * when they scrolled up — so it is always in the DOM.
 */
export function MessageList({
  items,
  channel,
  history,
  authenticated = false,
  offline = false,
}: MessageListProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const rangeExtractor = useCallback((range: Range) => {
    const indexes = defaultRangeExtractor(range);
    const last = range.count - 1;
    if (last >= 0 && indexes[indexes.length - 1] !== last) indexes.push(last);
    return indexes;
  }, []);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => 64,
    overscan: 6,
    getItemKey: (index) => items[index]?.id ?? index,
    measureElement: measureRow,
    rangeExtractor,
    // Chat semantics: stay at the bottom as messages arrive (also when old ones are trimmed).
    anchorTo: "end",
    followOnAppend: true,
    scrollEndThreshold: 48,
    useFlushSync: false,
  });
  const atEnd = items.length === 0 || virtualizer.isAtEnd(48);

  return (
    <div className="sb-rx-body">
      <div ref={scrollRef} className="sb-rx-scroll">
        <div
          className="sb-rx-log"
          role="log"
          aria-label={`Messages in ${channel}`}
          style={{ height: virtualizer.getTotalSize() }}
        >
          {virtualizer.getVirtualItems().map((row) => {
            const item = items[row.index];
            if (!item) return null;
            return (
              <article
                key={row.key}
                ref={virtualizer.measureElement}
                data-index={row.index}
                aria-posinset={row.index + 1}
                aria-setsize={items.length}
                className="sb-msg-row"
                style={{ transform: `translateY(${row.start}px)` }}
              >
                <MessageRow item={item} authenticated={authenticated} offline={offline} />
              </article>
            );
          })}
        </div>
        {items.length === 0 && (
          <p className="sb-rx-empty">
            {history === "loading" ? "Loading recent messages…" : `No messages in ${channel} yet. Say hello!`}
          </p>
        )}
      </div>
      {!atEnd && (
        <button
          type="button"
          className="sb-rx-jump"
          onClick={() => virtualizer.scrollToIndex(items.length - 1, { align: "end" })}
        >
          Jump to newest ↓
        </button>
      )}
    </div>
  );
}

/**
 * A row's height without forcing layout. The default reads offsetHeight when a row mounts; with
 * a batch of new rows (and scroll anchoring writing in between) every read forced a fresh layout —
 * the one long task of a 10,000-message flood. Mounting rows use their cached size or the
 * estimate; the ResizeObserver reports real sizes after the frame's one layout.
 */
function measureRow(
  element: Element,
  entry: ResizeObserverEntry | undefined,
  instance: Virtualizer<HTMLDivElement, Element>,
): number {
  const box = entry?.borderBoxSize?.[0];
  if (box) return Math.round(box.blockSize);
  const index = instance.indexFromElement(element);
  return (
    instance.itemSizeCache.get(instance.options.getItemKey(index)) ?? instance.options.estimateSize(index)
  );
}

/** One message. Text goes into text nodes only: markup in a message is shown, never parsed. */
const MessageRow = memo(function MessageRow({
  item,
  authenticated,
  offline,
}: {
  item: FeedItem;
  authenticated: boolean;
  offline: boolean;
}) {
  const date = new Date(item.time);
  const classes = ["sb-msg", item.kind === "notice" ? "sb-msg-notice" : "", item.status ? "sb-msg-own" : ""];
  // Local notices are not from anyone on the hub: shown as they are.
  const label = authorLabel(item, authenticated && item.kind === "message");
  const avatarName = item.user ?? item.author;
  return (
    <div className={classes.join(" ")}>
      <span className="sb-msg-avatar" aria-hidden="true" style={{ background: colorOf(avatarName) }}>
        {initialOf(avatarName)}
      </span>
      <div className="sb-msg-main">
        <div className="sb-msg-head">
          <span
            className={label.verified || !authenticated ? "sb-msg-author" : "sb-msg-author sb-msg-claimed"}
          >
            {label.name}
          </span>
          {label.verified && (
            <span className="sb-msg-verified" title="Identity verified by the hub">
              verified
            </span>
          )}
          {label.unverified !== undefined && (
            <span className="sb-msg-claimed" title="Name chosen by the sender, not verified">
              unverified: {label.unverified}
            </span>
          )}
          <time
            className="sb-msg-time"
            dateTime={Number.isFinite(item.time) ? date.toISOString() : undefined}
          >
            {Number.isFinite(item.time) ? timeFormat.format(date) : ""}
          </time>
          {item.status && (
            <span className={`sb-msg-status sb-msg-${item.status}`} title={item.error}>
              {item.status === "pending" && offline ? QUEUED_LABEL : STATUS_LABEL[item.status]}
            </span>
          )}
        </div>
        <p className="sb-msg-text">{item.text}</p>
      </div>
    </div>
  );
});

function initialOf(name: string): string {
  return (name.trim()[0] ?? "?").toUpperCase();
}

/** A stable avatar colour per author, from a palette that keeps white initials readable (WCAG AA). */
const AVATAR_COLORS = [
  "#3157d5",
  "#7a4fd6",
  "#b4236b",
  "#0f766e",
  "#b45309",
  "#4d7c0f",
  "#0e7490",
  "#9f1239",
];

function colorOf(name: string): string {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) | 0;
  return AVATAR_COLORS[Math.abs(hash) % AVATAR_COLORS.length] ?? "#3157d5";
}
