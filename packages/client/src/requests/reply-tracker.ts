/**
 * Replies are matched to requests by `id` only: the hub may send other frames (pubs, pings)
 * before a reply, or answer requests out of order. Handlers run synchronously, in the order the
 * hub's frames arrive, so a subscription sees its `subscribed` reply before the `pub` frames that
 * follow it in the same message.
 */
import type { ClientFrame, HubFrame, OccupancyFrame } from "@switchboard/protocol";
import { SwitchboardError } from "../errors.js";

/** A hub frame that answers a request (carries the request's id). */
export type ReplyFrame = Extract<HubFrame, { id: number }> | (OccupancyFrame & { id: number });

/** Frames sent as requests, before an id is assigned. */
export type RequestFrame = DistributiveOmit<
  Exclude<ClientFrame, { type: "connect" | "ping" | "pong" }>,
  "id"
>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface ReplyHandlers {
  /** Any reply but `error`. */
  reply(frame: ReplyFrame): void;
  /** An `error` reply. */
  fail(error: SwitchboardError): void;
  /** The connection ended before the reply. */
  lost(): void;
}

export class ReplyTracker {
  private nextId = 1;
  private readonly inflight = new Map<number, ReplyHandlers>();

  allocate(): number {
    return this.nextId++;
  }

  track(id: number, handlers: ReplyHandlers): void {
    this.inflight.set(id, handlers);
  }

  /** Stops waiting for a reply (timeout, unsubscribe); a late reply is then ignored. */
  forget(id: number): void {
    this.inflight.delete(id);
  }

  /** Routes a frame carrying an id. False when no request waits for it (an unsolicited frame). */
  settle(frame: HubFrame): boolean {
    const id = (frame as { id?: unknown }).id;
    if (typeof id !== "number") return false;
    const handlers = this.inflight.get(id);
    if (!handlers) return false;
    this.inflight.delete(id);
    if (frame.type === "error") handlers.fail(new SwitchboardError(frame.code, frame.message));
    else handlers.reply(frame as ReplyFrame);
    return true;
  }

  /** The connection ended: every waiting request is told, in the order they were sent. */
  dropAll(): void {
    const handlers = [...this.inflight.values()];
    this.inflight.clear();
    for (const h of handlers) h.lost();
  }
}
