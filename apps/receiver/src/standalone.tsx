/**
 * The receiver on its own page (http://localhost:3002/?hub=ws://localhost:7700/ws), for working on
 * the remote without the host. Hosts never load this file: they load remoteEntry.js.
 */
import { mount } from "./mount.js";

const params = new URLSearchParams(location.search);
const slot = document.getElementById("receiver-slot");
if (slot) {
  mount(slot, {
    hubUrl: params.get("hub") ?? `ws://${location.hostname}:7700/ws`,
    channel: params.get("channel") ?? undefined,
  });
}
