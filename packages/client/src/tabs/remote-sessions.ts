/**
 * The holding tab's side of the other tabs' sockets: one relay session per riding socket,
 * addressed by its link id over the BroadcastChannel. A rider that crashed never says goodbye,
 * so its sessions (and their hub subscriptions) end once its tab has been silent for
 * riderTimeoutMs — long, because a hidden rider's pings may come only once a minute
 * (Chromium's intensive timer throttling).
 */
import type { RelaySession } from "./relay-session.js";
import type { TabMessage } from "./tab-messages.js";
import type { TabRelay } from "./tab-relay.js";

export class RemoteSessions {
  private readonly byLink = new Map<string, { tab: string; session: RelaySession }>();
  /** When each other tab was last heard from. */
  private readonly heard = new Map<string, number>();

  constructor(
    private readonly tabId: string,
    private readonly riderTimeoutMs: number,
    private readonly post: (message: TabMessage) => void,
  ) {}

  /** Any message from `tab` is a sign of life. */
  heardFrom(tab: string, now: number): void {
    this.heard.set(tab, now);
  }

  /** A riding socket opens: a session on `relay`, or a refusal when this tab does not hold. */
  open(relay: TabRelay | undefined, tab: string, link: string, refusedCode: number): void {
    const reply = { from: this.tabId, to: tab, link };
    if (!relay) {
      this.post({
        type: "close",
        ...reply,
        code: refusedCode,
        reason: "this tab does not hold the connection",
      });
      return;
    }
    const session = relay.attach({
      send: (text) => this.post({ type: "data", ...reply, text }),
      close: (code, reason) => {
        this.byLink.delete(link);
        this.post({ type: "close", ...reply, code, reason });
      },
    });
    if (!session.open) return;
    this.byLink.set(link, { tab, session });
    this.post({ type: "opened", ...reply });
  }

  /** Frames for the session of `link`; false when there is none (the message is for a socket). */
  data(link: string, text: string): boolean {
    const entry = this.byLink.get(link);
    entry?.session.receive(text);
    return entry !== undefined;
  }

  /** The riding socket closed; false when there is no such session. */
  closed(link: string): boolean {
    const entry = this.byLink.get(link);
    if (!entry) return false;
    this.byLink.delete(link);
    entry.session.linkClosed();
    return true;
  }

  /** Ends the sessions of tabs silent for riderTimeoutMs, and forgets those tabs. */
  sweep(now: number): void {
    for (const [link, { tab }] of [...this.byLink])
      if (now - (this.heard.get(tab) ?? now) > this.riderTimeoutMs) this.closed(link);
    for (const [tab, at] of this.heard) if (now - at > this.riderTimeoutMs) this.heard.delete(tab);
  }

  /** The relay went away (it ended the sessions itself). */
  clear(): void {
    this.byLink.clear();
  }
}
