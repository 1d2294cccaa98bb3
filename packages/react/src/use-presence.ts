import type { ClientInfo, Subscription, SwitchboardError } from "@switchboard/client";
import { useState } from "react";
import { reactDefaults } from "./defaults.js";
import { useSubscription } from "./use-subscription.js";

export interface PresenceView {
  /** Connections subscribed to the channel, this page's own included; empty when `large`. */
  readonly members: readonly ClientInfo[];
  /** How many are subscribed: `members.length` where the list is kept, the hub's count where not. */
  readonly count: number;
  /** More than `membersMax` are subscribed: only the count is kept, never the whole list. */
  readonly large: boolean;
  /** "loading" until the hub answered the first presence request after subscribing. */
  readonly status: "idle" | "loading" | "ready" | "failed";
  readonly error?: SwitchboardError | Error | undefined;
}

export interface PresenceOptions {
  enabled?: boolean;
  /** Above this many subscribers the hook keeps only the count (default 100). */
  membersMax?: number;
}

const idle: PresenceView = { members: [], count: 0, large: false, status: "idle" };

/**
 * Who is in `channel`: after every (re)subscribe the hub's count, then — where the channel has
 * at most `membersMax` subscribers — its presence list, kept up to date by join/leave; a larger
 * channel shows its count, kept up to date by the hub's `occupancy` updates (docs/client.md).
 * Shares the channel's subscription with the other hooks (the hub answers presence to
 * subscribers only).
 */
export function usePresence(channel: string, options: PresenceOptions = {}): PresenceView {
  const [view, setView] = useState<PresenceView>(idle);
  const membersMax = options.membersMax ?? reactDefaults.presenceMembersMax;
  useSubscription(channel, options, (sub) => {
    let live = true;
    let current: PresenceView = { ...idle, status: "loading" };
    let request = 0;
    const update = (next: PresenceView) => {
      current = next;
      if (live) setView(next);
    };
    const failed = (mine: number) => (error: unknown) => {
      if (mine === request)
        update({
          ...current,
          status: "failed",
          error: error instanceof Error ? error : new Error(String(error)),
        });
    };
    const refresh = () => {
      const mine = ++request;
      update({ ...current, status: "loading" });
      countThenList(sub, membersMax).then((next) => {
        if (mine === request) update(next);
      }, failed(mine));
    };
    const offs = [
      sub.on("subscribed", refresh),
      sub.on("join", (info) => {
        if (current.large) update({ ...current, count: current.count + 1 });
        else if (!current.members.some((m) => m.client === info.client)) list([...current.members, info]);
      }),
      sub.on("leave", (info) => {
        if (!current.large) return list(current.members.filter((m) => m.client !== info.client));
        const count = Math.max(0, current.count - 1);
        if (count > membersMax) update({ ...current, count });
        else refresh(); // small again: read the list
      }),
      sub.on("occupancy", ({ count }) => {
        if (count > membersMax) update({ members: [], count, large: true, status: "ready" });
        // Small again (or no longer matching): the list is worth reading.
        else if (current.large || count !== current.members.length) refresh();
      }),
    ];
    const list = (members: readonly ClientInfo[]) =>
      update(
        members.length > membersMax
          ? { members: [], count: members.length, large: true, status: "ready" }
          : { members, count: members.length, large: false, status: "ready" },
      );
    if (sub.state === "subscribed") refresh();
    else update(current);
    return () => {
      live = false;
      request++;
      for (const off of offs) off();
      setView(idle);
    };
  });
  return view;
}

/** The count first (one small reply); the list only where it is small. */
async function countThenList(sub: Subscription, membersMax: number): Promise<PresenceView> {
  const count = await sub.presenceCount();
  if (count > membersMax) return { members: [], count, large: true, status: "ready" };
  const members = await sub.presence();
  return { members, count: members.length, large: false, status: "ready" };
}
