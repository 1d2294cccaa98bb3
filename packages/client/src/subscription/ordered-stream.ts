/**
 * Exactly-once, in-order delivery for one subscription: publications at or below the delivered
 * position are duplicates (dropped); ones that skip ahead are held back until the gap is filled.
 * Pure bookkeeping — the subscription decides how to fill gaps.
 */
import type { Publication, StreamPosition } from "@switchboard/protocol";

export class OrderedStream {
  private current: StreamPosition | undefined;
  /** Highest offset known to exist (a `subscribed`/`history` top, or a held publication). */
  private top = 0;
  private readonly held = new Map<number, Publication>();

  /** The last delivered position (or the live start). */
  get position(): StreamPosition | undefined {
    return this.current ? { ...this.current } : undefined;
  }

  get heldCount(): number {
    return this.held.size;
  }

  /**
   * Continue from `position`. Held publications above it survive: a hub may queue the first live
   * `pub` of a new subscription just before its `subscribed` reply, and dropping it would leave a
   * hole that only the next publication could reveal.
   */
  reset(position: StreamPosition): void {
    this.current = { ...position };
    this.top = position.offset;
    for (const offset of this.held.keys()) {
      if (offset <= position.offset) this.held.delete(offset);
      else this.top = Math.max(this.top, offset);
    }
  }

  /** Forget held publications (the next subscribe recovers them anyway). */
  clearHeld(): void {
    this.held.clear();
    this.top = this.current?.offset ?? 0;
  }

  /** The hub says publications up to `offset` exist. */
  noteTop(offset: number): void {
    this.top = Math.max(this.top, offset);
  }

  /** Keep a publication for later without delivering anything (while (re)subscribing). */
  hold(publication: Publication): void {
    if (this.current && publication.offset <= this.current.offset) return;
    this.held.set(publication.offset, publication);
  }

  /** Accepts one publication; returns those now deliverable, in offset order. */
  offer(publication: Publication): Publication[] {
    const current = this.current;
    if (!current || publication.offset <= current.offset) return [];
    if (publication.offset > current.offset + 1) {
      this.held.set(publication.offset, publication);
      this.top = Math.max(this.top, publication.offset);
      return [];
    }
    current.offset = publication.offset;
    return [publication, ...this.drain()];
  }

  /** Held publications that now continue the stream. */
  drain(): Publication[] {
    const current = this.current;
    if (!current) return [];
    const out: Publication[] = [];
    for (;;) {
      const next = this.held.get(current.offset + 1);
      if (!next) break;
      this.held.delete(next.offset);
      current.offset = next.offset;
      out.push(next);
    }
    return out;
  }

  /** How many publications are known to be missing right after the delivered position. */
  missing(): number {
    const current = this.current;
    if (!current) return 0;
    let end = this.top;
    for (const offset of this.held.keys()) end = Math.min(end, offset - 1);
    return Math.max(0, end - current.offset);
  }
}
