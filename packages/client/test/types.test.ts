/** Type-level tests of the public event maps (checked by `tsc -b`; vitest runs the assertions too). */
import type { ClientInfo, ErrorCode, Json, StreamPosition } from "@switchboard/protocol";
import { describe, expectTypeOf, it } from "vitest";
import WebSocket from "ws";
import { Emitter } from "../src/emitter.js";
import {
  type Client,
  type ClientEvents,
  type ClientState,
  createClient,
  type FailedMessage,
  type LostEvent,
  type Message,
  type PublishResult,
  type StateEvent,
  type SubscribedEvent,
  type Subscription,
  type SubscriptionEvents,
  type SwitchboardError,
  type SwitchboardErrorCode,
  type TabRole,
  type WebSocketCtor,
} from "../src/index.js";

describe("types", () => {
  it("client event map", () => {
    expectTypeOf<ClientEvents["state"]>().toEqualTypeOf<StateEvent>();
    expectTypeOf<ClientEvents["error"]>().toEqualTypeOf<SwitchboardError>();
    expectTypeOf<keyof ClientEvents>().toEqualTypeOf<"state" | "error" | "tab" | "outbox">();
    expectTypeOf<ClientEvents["tab"]>().toEqualTypeOf<{ role: TabRole }>();
    expectTypeOf<Client["tabRole"]>().toEqualTypeOf<"holder" | "rider" | "electing" | "off">();
    expectTypeOf<StateEvent["state"]>().toEqualTypeOf<ClientState>();
    // reason / code / attempt readable without narrowing (what the apps do), precise after it.
    expectTypeOf<StateEvent["reason"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<StateEvent["code"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Extract<StateEvent, { state: "connected" }>["clientId"]>().toEqualTypeOf<string>();
    expectTypeOf<Extract<StateEvent, { state: "connecting" }>["attempt"]>().toEqualTypeOf<number>();
    expectTypeOf<Extract<StateEvent, { state: "disconnected" }>["reason"]>().toEqualTypeOf<string>();
    expectTypeOf<Client["on"]>().returns.toEqualTypeOf<() => void>();
  });

  it("subscription event map", () => {
    expectTypeOf<SubscriptionEvents["publication"]>().toEqualTypeOf<Message>();
    expectTypeOf<SubscriptionEvents["confirmed"]>().toEqualTypeOf<Message>();
    expectTypeOf<SubscriptionEvents["failed"]>().toEqualTypeOf<FailedMessage>();
    expectTypeOf<SubscriptionEvents["subscribed"]>().toEqualTypeOf<SubscribedEvent>();
    expectTypeOf<SubscriptionEvents["lost"]>().toEqualTypeOf<LostEvent>();
    expectTypeOf<SubscriptionEvents["join"]>().toEqualTypeOf<ClientInfo>();
    expectTypeOf<SubscriptionEvents["leave"]>().toEqualTypeOf<ClientInfo>();
    expectTypeOf<SubscriptionEvents["error"]>().toEqualTypeOf<SwitchboardError>();
    expectTypeOf<FailedMessage["error"]>().toEqualTypeOf<SwitchboardError>();
    expectTypeOf<Message["data"]>().toEqualTypeOf<Json>();
    expectTypeOf<Message["offset"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Subscription["position"]>().toEqualTypeOf<StreamPosition | undefined>();
  });

  it("listeners get the payload of their event; unknown events do not compile", () => {
    const client = createClient({ urls: "ws://127.0.0.1:1/ws", WebSocket, autoConnect: false });
    client.on("state", (e) => expectTypeOf(e).toEqualTypeOf<StateEvent>());
    client.on("error", (e) => expectTypeOf(e.code).toEqualTypeOf<SwitchboardErrorCode>());
    // @ts-expect-error not an event of the client
    client.on("publication", () => undefined);
    const sub = client.subscribe("chat:types");
    sub.on("publication", (m) => expectTypeOf(m).toEqualTypeOf<Message>());
    sub.on("failed", (m) => expectTypeOf(m.error.code).toEqualTypeOf<SwitchboardErrorCode>());
    // @ts-expect-error wrong payload type for the event
    sub.on("lost", (e: Message) => e);
    // @ts-expect-error not an event of a subscription
    sub.on("state", () => undefined);
    const published = client.publish("chat:types", { a: [1, "x", null] });
    expectTypeOf(published).toEqualTypeOf<Promise<PublishResult>>();
    published.catch(() => undefined); // rejected with CLOSED below
    // @ts-expect-error data must be JSON
    void client.publish("chat:types", () => 1).catch(() => undefined);
    client.close();
  });

  it("error codes are the protocol's plus the client's", () => {
    expectTypeOf<SwitchboardErrorCode>().toEqualTypeOf<
      | ErrorCode
      | "TIMEOUT"
      | "CLOSED"
      | "INVALID_ARGUMENT"
      | "INCOMPATIBLE_VERSION"
      | "OUTBOX_FULL"
      | "STORAGE_UNAVAILABLE"
    >();
    expectTypeOf<SwitchboardError["code"]>().toEqualTypeOf<SwitchboardErrorCode>();
  });

  it("both WebSocket implementations fit the constructor option", () => {
    expectTypeOf(WebSocket).toExtend<WebSocketCtor>();
    expectTypeOf<typeof globalThis.WebSocket>().toExtend<WebSocketCtor>();
  });

  it("the emitter is typed by its map", () => {
    const e = new Emitter<{ a: number; b: string }>();
    e.on("a", (n) => expectTypeOf(n).toEqualTypeOf<number>());
    // @ts-expect-error payload of "b" is a string
    e.emit("b", 1);
    // @ts-expect-error no such event
    e.emit("c", 1);
  });
});
