/**
 * The sender on its own page (http://localhost:3001/?hub=ws://localhost:7700/ws), for working on
 * the remote without the host. Hosts never load this file: they load remoteEntry.js.
 */
import { getSharedClient } from "@switchboard/client";
import { mount } from "./mount.js";

const params = new URLSearchParams(location.search);
const hub = params.get("hub") ?? `ws://${location.hostname}:7700/ws`;
getSharedClient({ urls: [hub], name: "sender (standalone)" });
const slot = document.getElementById("sender-slot");
if (slot)
  mount(slot, { channel: params.get("channel") ?? undefined, author: params.get("name") ?? undefined });
