/**
 * One connection per browser: the tabs of a group (same origin, same hub URLs) elect a holder
 * (TabElection, Web Locks); the holder runs the relay over the one hub connection and every
 * tab's client — the holder's own too — rides it through a TabSocket. Riders watch the holder
 * by ping/pong over the BroadcastChannel (answered from the holder's message handler, so a
 * hidden holder whose timers are throttled still answers at once) and take over from one that
 * stopped answering. docs/client.md ("Tabs") describes the whole scheme and its limits.
 */
import type { Client } from "../api.js";
import type { WebSocketCtor } from "../connection/socket-types.js";
import type { TabRole } from "../types.js";
import type { RelayChannelLimits } from "./relay-channel.js";
import type { RelaySession } from "./relay-session.js";
import { RemoteSessions } from "./remote-sessions.js";
import { type LockManagerLike, TabElection } from "./tab-election.js";
import { isTabMessage, type TabMessage } from "./tab-messages.js";
import { TabRelay } from "./tab-relay.js";
import { type SocketRouter, TabSocket } from "./tab-socket.js";

export interface TabCoordinatorOptions extends RelayChannelLimits {
  /** Names the lock and the BroadcastChannel. */
  readonly group: string;
  /** How often a rider pings the holding tab. */
  readonly heartbeatMs: number;
  /** A holder that leaves a ping unanswered this long is replaced. */
  readonly leaderTimeoutMs: number;
  /** The holder ends the sessions of a tab it has not heard from for this long. */
  readonly riderTimeoutMs: number;
  readonly locks: LockManagerLike;
  /** The hub connection, made when this tab becomes the holder. */
  readonly createUpstream: () => Client;
  readonly onRole: (role: TabRole) => void;
}

/** Where one of this tab's sockets is attached. */
type Target =
  | { kind: "local"; session: RelaySession }
  | { kind: "remote"; tab: string }
  | { kind: "waiting" };

const HOLDER_CHANGED = 4100;

export class TabCoordinator implements SocketRouter {
  readonly tabId = randomId();
  /** Pass as the client's `WebSocket`. */
  readonly WebSocket: WebSocketCtor;
  private role: TabRole = "electing";
  private leader: string | undefined;
  private relay: TabRelay | undefined;
  private bus: BroadcastChannel | undefined;
  private readonly election: TabElection;
  private readonly sockets = new Map<TabSocket, Target>();
  /** Other tabs' sockets on our relay (while holding). */
  private readonly remote: RemoteSessions;
  private timer: ReturnType<typeof setInterval> | undefined;
  private stealTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the oldest unanswered ping (or `who`) went out. */
  private unansweredSince: number | undefined;
  private readonly onPageHide = (): void => {
    if (this.relay) this.post({ type: "bye", from: this.tabId });
  };

  constructor(private readonly options: TabCoordinatorOptions) {
    this.remote = new RemoteSessions(this.tabId, options.riderTimeoutMs, (m) => this.post(m));
    const router = this;
    const tabId = this.tabId;
    this.WebSocket = class extends TabSocket {
      constructor(_url: string, _protocols?: string | string[]) {
        super(router, tabId);
      }
    };
    this.election = new TabElection(options.locks, `switchboard.tabs:${options.group}`, {
      elected: () => this.elected(),
      deposed: () => this.deposed("another tab took the connection over"),
    });
  }

  get currentRole(): TabRole {
    return this.role;
  }

  start(): void {
    if (this.bus) return;
    const bus = new BroadcastChannel(`switchboard.tabs:${this.options.group}`);
    bus.onmessage = (event: MessageEvent<unknown>) => {
      if (isTabMessage(event.data)) this.receive(event.data);
    };
    this.bus = bus;
    globalThis.addEventListener?.("pagehide", this.onPageHide);
    this.election.start();
    this.post({ type: "who", from: this.tabId });
    this.unansweredSince = Date.now();
    this.timer = setInterval(() => this.tick(), this.options.heartbeatMs);
  }

  /** Leaves the group: gives up the connection (riders elect another holder at once) and the lock. */
  stop(): void {
    if (!this.bus) return;
    if (this.relay) this.post({ type: "bye", from: this.tabId });
    this.deposed("the holding tab's client was closed");
    this.election.stop();
    clearInterval(this.timer);
    clearTimeout(this.stealTimer);
    this.stealTimer = undefined;
    globalThis.removeEventListener?.("pagehide", this.onPageHide);
    this.bus.close();
    this.bus = undefined;
    for (const socket of [...this.sockets.keys()]) socket.ended(HOLDER_CHANGED, "left the tab group");
    this.sockets.clear();
    this.leader = undefined;
    this.setRole("electing");
  }

  // ---- SocketRouter (this tab's sockets) --------------------------------------------------

  open(socket: TabSocket): void {
    this.sockets.set(socket, { kind: "waiting" });
    if (this.leader !== undefined) this.route(socket);
  }

  send(socket: TabSocket, text: string): void {
    const target = this.sockets.get(socket);
    if (target?.kind === "local") {
      const session = target.session;
      queueMicrotask(() => session.receive(text));
    } else if (target?.kind === "remote")
      this.post({ type: "data", from: this.tabId, to: target.tab, link: socket.link, text });
  }

  close(socket: TabSocket, code: number, reason: string): void {
    const target = this.sockets.get(socket);
    this.sockets.delete(socket);
    if (target?.kind === "local") target.session.linkClosed();
    else if (target?.kind === "remote")
      this.post({ type: "close", from: this.tabId, to: target.tab, link: socket.link, code, reason });
  }

  // ---- election ---------------------------------------------------------------------------

  private elected(): void {
    clearTimeout(this.stealTimer);
    this.stealTimer = undefined;
    this.relay = new TabRelay(this.options.createUpstream(), this.options);
    this.post({ type: "leader", from: this.tabId });
    this.setLeader(this.tabId);
  }

  private deposed(reason: string): void {
    const relay = this.relay;
    if (!relay) return;
    this.relay = undefined;
    this.remote.clear();
    relay.close(reason); // ends our own sockets' sessions too: their clients reconnect to the new holder
    if (this.leader === this.tabId) this.leader = undefined;
    this.unansweredSince = Date.now();
    this.setRole("electing");
  }

  private setLeader(tab: string): void {
    // Another tab announcing itself while we hold: it stole the lock from us (we were frozen).
    if (this.relay && tab !== this.tabId) this.deposed("another tab holds the connection");
    this.leader = tab;
    this.unansweredSince = undefined;
    this.setRole(tab === this.tabId ? "holder" : "rider");
    for (const [socket, target] of [...this.sockets]) {
      if (target.kind === "waiting") this.route(socket);
      else if (target.kind === "remote" && target.tab !== tab) {
        this.sockets.delete(socket);
        socket.ended(HOLDER_CHANGED, "the holding tab changed");
      }
    }
  }

  private route(socket: TabSocket): void {
    const leader = this.leader;
    if (leader === undefined) return;
    if (leader === this.tabId && this.relay) {
      const session = this.relay.attach({
        send: (text) => queueMicrotask(() => socket.deliver(text)),
        close: (code, reason) => {
          this.sockets.delete(socket);
          queueMicrotask(() => socket.ended(code, reason));
        },
      });
      if (!session.open) return;
      this.sockets.set(socket, { kind: "local", session });
      queueMicrotask(() => socket.opened());
      return;
    }
    this.sockets.set(socket, { kind: "remote", tab: leader });
    this.post({ type: "open", from: this.tabId, to: leader, link: socket.link });
  }

  // ---- the BroadcastChannel ---------------------------------------------------------------

  private receive(message: TabMessage): void {
    if (message.from === this.tabId) return;
    this.remote.heardFrom(message.from, Date.now());
    if ("to" in message && message.to !== this.tabId) return;
    switch (message.type) {
      case "leader":
        if (message.from !== this.leader) this.setLeader(message.from);
        return;
      case "who":
        if (this.relay) this.post({ type: "leader", from: this.tabId });
        return;
      case "ping":
        if (this.relay) this.post({ type: "pong", from: this.tabId, to: message.from });
        return;
      case "pong":
        if (message.from === this.leader) this.unansweredSince = undefined;
        return;
      case "bye":
        if (message.from === this.leader) this.leaderGone(message.from);
        return;
      case "open":
        this.remote.open(this.relay, message.from, message.link, HOLDER_CHANGED);
        return;
      case "opened":
        this.findSocket(message.link)?.opened();
        return;
      case "data":
        if (!this.remote.data(message.link, message.text))
          this.findSocket(message.link)?.deliver(message.text);
        return;
      case "close": {
        if (this.remote.closed(message.link)) return;
        const socket = this.findSocket(message.link);
        if (socket) {
          this.sockets.delete(socket);
          socket.ended(message.code, message.reason);
        }
      }
    }
  }

  private leaderGone(tab: string): void {
    if (this.leader !== tab) return;
    this.leader = undefined;
    this.unansweredSince = Date.now();
    this.setRole("electing");
    for (const [socket, target] of [...this.sockets])
      if (target.kind === "remote" && target.tab === tab) {
        this.sockets.delete(socket);
        socket.ended(HOLDER_CHANGED, "the holding tab went away");
      }
  }

  /** Riders only: ping the holder (or ask who holds); replace one that stays silent. */
  private tick(): void {
    const now = Date.now();
    if (this.relay) {
      this.remote.sweep(now);
      return;
    }
    // Set on the first unanswered ping, so a tab whose own timers were paused (hidden,
    // throttled) gives the holder a full timeout after it wakes before suspecting it.
    this.unansweredSince ??= now;
    if (this.leader === undefined) this.post({ type: "who", from: this.tabId });
    else this.post({ type: "ping", from: this.tabId, to: this.leader });
    if (now - this.unansweredSince <= this.options.leaderTimeoutMs || this.stealTimer) return;
    const suspect = this.leader;
    // Jitter: of several riders noticing at once, the first to act takes over and the others see it.
    this.stealTimer = setTimeout(() => {
      this.stealTimer = undefined;
      if (this.leader !== suspect || this.unansweredSince === undefined || this.relay) return;
      if (suspect !== undefined) this.leaderGone(suspect);
      this.election.steal();
    }, Math.random() * this.options.heartbeatMs);
  }

  private findSocket(link: string): TabSocket | undefined {
    for (const socket of this.sockets.keys()) if (socket.link === link) return socket;
    return undefined;
  }

  private post(message: TabMessage): void {
    this.bus?.postMessage(message);
  }

  private setRole(role: TabRole): void {
    if (role === this.role) return;
    this.role = role;
    this.options.onRole(role);
  }
}

function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return c?.randomUUID ? c.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
