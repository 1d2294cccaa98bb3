import type { ClientInfo, SwitchboardError } from "@switchboard/client";
import { useState } from "react";
import { useSubscription } from "./use-subscription.js";

export interface PresenceView {
  /** Connections subscribed to the channel, this page's own included. */
  readonly members: readonly ClientInfo[];
  /** "loading" until the hub answered the first presence request after subscribing. */
  readonly status: "idle" | "loading" | "ready" | "failed";
  readonly error?: SwitchboardError | Error | undefined;
}

const idle: PresenceView = { members: [], status: "idle" };

/**
 * Who is in `channel`: the hub's presence list, fetched after every (re)subscribe and kept up to
 * date by join/leave. Shares the channel's subscription with the other hooks (the hub answers
 * presence to subscribers only).
 */
export function usePresence(channel: string, options: { enabled?: boolean } = {}): PresenceView {
  const [view, setView] = useState<PresenceView>(idle);
  useSubscription(channel, options, (sub) => {
    let live = true;
    let members: readonly ClientInfo[] = [];
    let request = 0;
    const update = (next: PresenceView) => {
      members = next.members;
      if (live) setView(next);
    };
    const refresh = () => {
      const mine = ++request;
      update({ members, status: "loading" });
      sub.presence().then(
        (list) => {
          if (mine === request) update({ members: list, status: "ready" });
        },
        (error: unknown) => {
          if (mine === request)
            update({
              members,
              status: "failed",
              error: error instanceof Error ? error : new Error(String(error)),
            });
        },
      );
    };
    const offs = [
      sub.on("subscribed", refresh),
      sub.on("join", (info) => {
        if (!members.some((m) => m.client === info.client))
          update({ ...viewOf(members), members: [...members, info] });
      }),
      sub.on("leave", (info) =>
        update({ ...viewOf(members), members: members.filter((m) => m.client !== info.client) }),
      ),
    ];
    if (sub.state === "subscribed") refresh();
    else update({ members, status: "loading" });
    return () => {
      live = false;
      request++;
      for (const off of offs) off();
      setView(idle);
    };
  });
  return view;
}

function viewOf(members: readonly ClientInfo[]): PresenceView {
  return { members, status: "ready" };
}
