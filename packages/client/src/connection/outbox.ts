/**
 * Frames issued in the same tick leave as one WebSocket message (NDJSON, docs/protocol.md),
 * never larger than the hub's `maxFrameBytes` (which applies per message).
 */
import { joinFrames } from "@switchboard/protocol";

export interface OutboxTarget {
  /** Writes one WebSocket message; false when the socket is gone (the frames are dropped). */
  write(message: string): boolean;
}

export class Outbox {
  private queue: string[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly target: OutboxTarget,
    private readonly coalesce: boolean,
    private maxBytes: number,
  ) {}

  setMaxBytes(maxBytes: number): void {
    this.maxBytes = maxBytes;
  }

  push(encoded: string): void {
    if (this.closed) return;
    if (!this.coalesce) {
      this.target.write(encoded);
      return;
    }
    const bytes = utf8Length(encoded) + 1;
    if (this.queue.length > 0 && this.queuedBytes + bytes > this.maxBytes) this.flush();
    this.queue.push(encoded);
    this.queuedBytes += bytes;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (this.queue.length === 0 || this.closed) return;
    const message = joinFrames(this.queue);
    this.queue = [];
    this.queuedBytes = 0;
    this.target.write(message);
  }

  /** Drops whatever is queued: the socket it was meant for is gone. */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.queuedBytes = 0;
  }
}

/** UTF-8 byte length without allocating (lone surrogates count as the 3-byte replacement char). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
