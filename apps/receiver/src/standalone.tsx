/**
 * The receiver on its own page (http://localhost:3002/?hub=ws://localhost:7700/ws), for working on
 * the remote without the host. Hosts never load this file: they load remoteEntry.js.
 */
import { getSharedClient } from "@switchboard/client";
import { mount } from "./mount.js";

const params = new URLSearchParams(location.search);
const hub = params.get("hub") ?? `ws://${location.hostname}:7700/ws`;
getSharedClient({ urls: [hub], name: "receiver (standalone)" });
const slot = document.getElementById("receiver-slot");
if (slot) mount(slot, { channel: params.get("channel") ?? undefined });
