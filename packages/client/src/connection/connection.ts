/**
 * One logical connection to "the hub": opens sockets over the URL list, performs the `connect`
 * handshake, answers pings, watches for a dead hub and reconnects per the close codes of docs/errors.md.
 * It knows nothing about subscriptions or publishes: the client reacts to its hooks.
 */
import {
  CloseCode,
  type ConnectedFrame,
  type ConnectFrame,
  type DisconnectFrame,
  decodeHubMessage,
  encodeFrame,
  type HubFrame,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
} from "@switchboard/protocol";
import { SwitchboardError } from "../errors.js";
import { resolveToken } from "../token.js";
import type { ClientState, StateEvent } from "../types.js";
import { Backoff } from "./backoff.js";
import { type CloseDecision, decideClose } from "./close-policy.js";
import type { ConnectionHooks, ConnectionOptions } from "./connection-hooks.js";
import { Heartbeat } from "./heartbeat.js";
import { Outbox } from "./outbox.js";
import {
  type CloseEventLike,
  type MessageEventLike,
  NORMAL_CLOSURE,
  SOCKET_OPEN,
  type WebSocketLike,
} from "./socket-types.js";
import { TokenRenewal } from "./token-renewal.js";

const noop = (): void => {};
const PONG = encodeFrame({ type: "pong" });

export class Connection {
  state: ClientState = "disconnected";
  clientId: string | undefined;
  node: string | undefined;
  maxFrameBytes: number;

  /** Bumped for every socket and every teardown: callbacks of an older socket do nothing. */
  private generation = 0;
  private active = false;
  private socket: WebSocketLike | undefined;
  private outbox: Outbox | undefined;
  private urlIndex = 0;
  private attempt = 0;
  private readonly backoff: Backoff;
  private readonly heartbeat = new Heartbeat(() =>
    this.closed(CloseCode.HEARTBEAT_MISSED, "no ping from the hub for two intervals"),
  );
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectId: number | undefined;
  private disconnectFrame: DisconnectFrame | undefined;
  private connectedAt = 0;
  /** Renews the connection token before `expires` (a token function only). */
  private readonly renewal: TokenRenewal;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly hooks: ConnectionHooks,
  ) {
    this.backoff = new Backoff(options.backoff);
    this.maxFrameBytes = options.maxFrameBytes;
    this.renewal = new TokenRenewal(options.token, {
      nextId: () => hooks.nextId(),
      send: (encoded) => this.outbox?.push(encoded),
      error: (error) => hooks.error(error),
    });
  }

  connect(): void {
    if (this.active) return;
    this.active = true;
    this.attempt = 0;
    this.backoff.reset();
    this.schedule(0, undefined);
  }

  close(reason = "closed by client"): void {
    if (!this.active) return;
    this.active = false;
    const wasConnected = this.state === "connected";
    this.teardown();
    if (wasConnected)
      this.hooks.disconnected({
        reconnect: false,
        immediate: false,
        minDelayMs: 0,
        code: NORMAL_CLOSURE,
        reason,
      });
    this.setState({ state: "disconnected", reason });
  }

  /** Queues an encoded frame for the current session; false when not connected (the caller resends later). */
  sendEncoded(encoded: string): boolean {
    if (this.state !== "connected" || !this.outbox) return false;
    this.outbox.push(encoded);
    return true;
  }

  private schedule(delayMs: number, cause: CloseDecision | undefined): void {
    this.attempt++;
    const url = this.options.urls[this.urlIndex] ?? "";
    this.setState({
      state: "connecting",
      attempt: this.attempt,
      delayMs,
      url,
      ...(cause?.code !== undefined ? { code: cause.code } : {}),
      ...(cause ? { reason: cause.reason } : {}),
    });
    if (delayMs <= 0) void this.open(url);
    else
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        void this.open(url);
      }, delayMs);
  }

  private async open(url: string): Promise<void> {
    const gen = ++this.generation;
    let token: string | undefined;
    try {
      token = await resolveToken(this.options.token);
    } catch (err) {
      if (gen !== this.generation) return;
      this.hooks.error(new SwitchboardError("UNAUTHORIZED", `token source failed: ${describe(err)}`));
      this.closed(undefined, "token source failed");
      return;
    }
    if (gen !== this.generation || !this.active) return;
    let socket: WebSocketLike;
    try {
      socket = new this.options.WebSocket(url, SUBPROTOCOL);
    } catch (err) {
      this.hooks.error(new SwitchboardError("INVALID_ARGUMENT", `cannot open ${url}: ${describe(err)}`));
      this.closed(undefined, "cannot open socket");
      return;
    }
    this.socket = socket;
    this.disconnectFrame = undefined;
    const outbox = new Outbox(
      {
        write: (message) => {
          if (socket.readyState !== SOCKET_OPEN) return false;
          try {
            socket.send(message);
            return true;
          } catch {
            return false;
          }
        },
      },
      this.options.coalesce,
      this.options.maxFrameBytes,
    );
    this.outbox = outbox;
    this.connectTimer = setTimeout(
      () => this.closed(undefined, "connect timeout"),
      this.options.connectTimeoutMs,
    );
    socket.onerror = noop; // a close event follows
    socket.onopen = () => {
      if (gen !== this.generation) return;
      const id = this.hooks.nextId();
      this.connectId = id;
      const frame: ConnectFrame = { type: "connect", id, version: PROTOCOL_VERSION };
      if (token !== undefined) frame.token = token;
      if (this.options.name !== undefined) frame.name = this.options.name;
      if (this.options.presenceDiff) frame.presenceDiff = true;
      outbox.push(encodeFrame(frame));
    };
    socket.onmessage = (event: MessageEventLike) => {
      if (gen === this.generation) this.receive(event.data, gen);
    };
    socket.onclose = (event: CloseEventLike) => {
      if (gen === this.generation) this.closed(event.code, event.reason);
    };
  }

  private receive(data: unknown, gen: number): void {
    const text = toText(data);
    if (text === undefined) return;
    this.heartbeat.seen();
    const { frames, invalid } = decodeHubMessage(text);
    if (invalid > 0)
      this.hooks.error(new SwitchboardError("BAD_REQUEST", `ignored ${invalid} invalid hub frame(s)`));
    for (const frame of frames) {
      this.handle(frame);
      // A handler may have closed this socket (client.close() in a listener): drop the rest.
      if (gen !== this.generation) return;
    }
  }

  private handle(frame: HubFrame): void {
    switch (frame.type) {
      case "ping":
        this.outbox?.push(PONG);
        return;
      case "pong":
        return;
      case "disconnect":
        this.disconnectFrame = frame;
        return;
    }
    if (this.state === "connected") {
      if (this.renewal.handle(frame)) return;
      this.hooks.frame(frame);
      return;
    }
    if (frame.type === "connected" && frame.id === this.connectId) this.established(frame);
    else if (frame.type === "error" && frame.id === this.connectId)
      this.hooks.error(new SwitchboardError(frame.code, `connect refused: ${frame.message}`));
    // Anything else before `connected` is meaningless; the hub closes on real problems.
  }

  private established(frame: ConnectedFrame): void {
    clearTimeout(this.connectTimer);
    this.attempt = 0;
    this.backoff.reset();
    this.connectedAt = Date.now();
    this.clientId = frame.client;
    this.node = frame.node;
    const limit = frame.limits?.maxFrameBytes;
    this.maxFrameBytes = typeof limit === "number" && limit > 0 ? limit : this.options.maxFrameBytes;
    this.outbox?.setMaxBytes(this.maxFrameBytes);
    this.heartbeat.start(frame.ping);
    this.renewal.schedule(frame.expires);
    const gen = this.generation;
    const url = this.options.urls[this.urlIndex] ?? "";
    this.setState({ state: "connected", clientId: frame.client, node: frame.node, url });
    if (gen === this.generation) this.hooks.connected(frame);
  }

  /** The socket closed, or we gave up on it (connect timeout, dead hub, token failure). */
  private closed(code: number | undefined, reason: string): void {
    const decision = decideClose(code, reason, this.disconnectFrame, this.options.backoff.rateLimitedMs);
    const wasConnected = this.state === "connected";
    const sessionMs = wasConnected ? Date.now() - this.connectedAt : 0;
    this.teardown();
    if (wasConnected) this.hooks.disconnected(decision);
    if (!this.active) return;
    if (!decision.reconnect) {
      this.active = false;
      this.setState({
        state: "disconnected",
        reason: decision.reason,
        ...(decision.code !== undefined ? { code: decision.code } : {}),
      });
      this.hooks.stopped(decision);
      return;
    }
    this.urlIndex = (this.urlIndex + 1) % Math.max(1, this.options.urls.length);
    const immediate = decision.immediate && sessionMs >= this.options.minSessionForImmediateMs;
    const delay = immediate ? 0 : Math.max(decision.minDelayMs, this.backoff.next());
    this.schedule(delay, decision);
  }

  /** Forgets the current socket (if any) and every timer; its late events are ignored. */
  private teardown(): void {
    this.generation++;
    clearTimeout(this.connectTimer);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.heartbeat.stop();
    this.renewal.stop();
    this.outbox?.close();
    this.outbox = undefined;
    this.connectId = undefined;
    this.clientId = undefined;
    this.node = undefined;
    if (this.state === "connected") this.state = "connecting";
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    // Keep an error listener: `ws` emits "error" when a CONNECTING socket is closed, and an
    // EventEmitter "error" without listener would crash the process.
    socket.onerror = noop;
    try {
      if (socket.readyState <= SOCKET_OPEN) socket.close(NORMAL_CLOSURE);
    } catch {
      // already closing
    }
  }

  private setState(event: StateEvent): void {
    this.state = event.state;
    this.hooks.state(event);
  }
}

function toText(data: unknown): string | undefined {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  return undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
