/** The pure ordering/backoff logic, fed directly (the socket-level behaviour is in the other files). */
import type { Publication } from "@switchboard/protocol";
import { describe, expect, it } from "vitest";
import { Backoff } from "../src/connection/backoff.js";
import { utf8Length } from "../src/connection/outbox.js";
import { OrderedStream } from "../src/subscription/ordered-stream.js";

const pub = (offset: number): Publication => ({ offset, data: offset, time: 0 });
const offsets = (list: Publication[]) => list.map((p) => p.offset);

describe("OrderedStream", () => {
  it("delivers in order, holds gaps, drops duplicates", () => {
    const s = new OrderedStream();
    s.reset({ epoch: "e", offset: 0 });
    expect(offsets(s.offer(pub(1)))).toEqual([1]);
    expect(offsets(s.offer(pub(1)))).toEqual([]);
    expect(offsets(s.offer(pub(3)))).toEqual([]);
    expect(offsets(s.offer(pub(5)))).toEqual([]);
    expect(s.missing()).toBe(1); // offset 2
    expect(offsets(s.offer(pub(2)))).toEqual([2, 3]);
    expect(s.missing()).toBe(1); // offset 4
    expect(offsets(s.offer(pub(4)))).toEqual([4, 5]);
    expect(s.missing()).toBe(0);
    expect(s.position).toEqual({ epoch: "e", offset: 5 });
  });

  it("knows about publications it has not seen from the hub's top", () => {
    const s = new OrderedStream();
    s.reset({ epoch: "e", offset: 2 });
    s.noteTop(6);
    expect(s.missing()).toBe(4);
  });

  it("keeps held publications above a reset position and drops the rest", () => {
    const s = new OrderedStream();
    s.hold(pub(4));
    s.hold(pub(6));
    s.reset({ epoch: "e", offset: 4 });
    expect(s.heldCount).toBe(1);
    expect(s.missing()).toBe(1);
    expect(offsets(s.offer(pub(5)))).toEqual([5, 6]);
  });
});

describe("Backoff", () => {
  it("uses full jitter under an exponentially growing ceiling", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0.999);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    b.reset();
    expect(new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0).next()).toBe(0);
    expect(b.next()).toBe(99);
  });
});

describe("utf8Length", () => {
  it("matches the encoder", () => {
    for (const text of ["", "abc", "é", "€", "😀", "a😀é€\\n", "\ud800x"])
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
  });
});
