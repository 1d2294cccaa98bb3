// A host built by Vite that loads Switchboard's remotes (docs/federation.md, "Vite").
// Remote and hub URLs come from the environment so the same config serves local work and tests.
import { federation } from "@module-federation/vite";
import { switchboardShared } from "@switchboard/client/federation";
import { defineConfig } from "vite";

const senderEntry = process.env.SWITCHBOARD_SENDER_ENTRY ?? "http://localhost:3001/remoteEntry.js";
const receiverEntry = process.env.SWITCHBOARD_RECEIVER_ENTRY ?? "http://localhost:3002/remoteEntry.js";
const hubUrl = process.env.SWITCHBOARD_HUB_URL ?? "ws://localhost:8080/ws";

export default defineConfig({
  define: { __SWITCHBOARD_HUB_URL__: JSON.stringify(hubUrl) },
  build: { target: "es2022", outDir: process.env.SWITCHBOARD_OUT_DIR ?? "dist", emptyOutDir: true },
  plugins: [
    federation({
      name: "vite_host",
      // Our remotes are webpack builds: a classic script (type "var") whose global is the container
      // name, switchboard_sender; code imports "sender/sender".
      remotes: {
        sender: { type: "var", name: "sender", entry: senderEntry, entryGlobalName: "switchboard_sender" },
        receiver: {
          type: "var",
          name: "receiver",
          entry: receiverEntry,
          entryGlobalName: "switchboard_receiver",
        },
      },
      shared: switchboardShared(),
      shareStrategy: "loaded-first",
      dts: false,
    }),
  ],
});
