// @vitest-environment happy-dom
/**
 * The receiver's presence bar: a small channel lists its members; a large one (the hub sends its
 * occupancy count only, docs/protocol.md "Presence at scale") shows the count, not an empty bar.
 */
import { cleanup, render } from "@testing-library/react";
import { createElement } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { PresenceBar } from "../src/presence-bar.js";

afterEach(cleanup);

const people = (n: number) => Array.from({ length: n }, (_, i) => ({ client: `c${i}`, name: `P${i}` }));

describe("PresenceBar", () => {
  it("lists a small channel's members, the page's own connection first", () => {
    const view = render(createElement(PresenceBar, { clients: people(3), selfId: "c2" }));
    expect(view.container.querySelector(".sb-rx-presence-count")?.textContent).toBe("3 online");
    const names = Array.from(view.container.querySelectorAll(".sb-rx-person"), (li) => li.textContent);
    expect(names).toEqual(["P2 (you)", "P0", "P1"]);
  });

  it("shows a large channel's count when the member list is not kept", () => {
    const view = render(createElement(PresenceBar, { clients: [], count: 2_500, selfId: "c1" }));
    expect(view.container.querySelector(".sb-rx-presence-count")?.textContent).toBe("2500 online");
    expect(view.container.querySelector(".sb-rx-more")?.textContent).toBe("+2500 more");
  });

  it("counts members beyond the ones shown", () => {
    const view = render(createElement(PresenceBar, { clients: people(12), count: 12, selfId: undefined }));
    expect(view.container.querySelectorAll(".sb-rx-person:not(.sb-rx-more)")).toHaveLength(8);
    expect(view.container.querySelector(".sb-rx-more")?.textContent).toBe("+4 more");
  });
});
