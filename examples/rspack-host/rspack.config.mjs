// A host built by Rspack that loads Switchboard's remotes (docs/federation.md, "Rspack").
// Remote and hub URLs come from the environment so the same config serves local work and tests.
import path from "node:path";
import { ModuleFederationPlugin } from "@module-federation/enhanced/rspack";
import { rspack } from "@rspack/core";
import { switchboardShared } from "@switchboard/client/federation";

const senderEntry = process.env.SWITCHBOARD_SENDER_ENTRY ?? "http://localhost:3001/mf-manifest.json";
const receiverEntry = process.env.SWITCHBOARD_RECEIVER_ENTRY ?? "http://localhost:3002/mf-manifest.json";
const hubUrl = process.env.SWITCHBOARD_HUB_URL ?? "ws://localhost:8080/ws";
const outDir = process.env.SWITCHBOARD_OUT_DIR ?? "dist";

// SWITCHBOARD_BUNDLE_OWN_CLIENT=1 shows a host that bundles its own @switchboard/client instead of
// sharing it: the page still opens one WebSocket (the copies find each other, docs/federation.md).
const { "@switchboard/client": client, ...sharedWithoutClient } = switchboardShared();
const shared =
  process.env.SWITCHBOARD_BUNDLE_OWN_CLIENT === "1"
    ? sharedWithoutClient
    : { ...sharedWithoutClient, "@switchboard/client": client };

export default {
  mode: "production",
  entry: "./src/index.ts",
  output: { path: path.resolve(import.meta.dirname, outDir), publicPath: "auto", clean: true },
  resolve: { extensions: [".tsx", ".ts", ".js"] },
  module: {
    rules: [
      {
        test: /\.tsx?$/,
        loader: "builtin:swc-loader",
        options: {
          jsc: {
            parser: { syntax: "typescript", tsx: true },
            transform: { react: { runtime: "automatic" } },
          },
        },
        type: "javascript/auto",
      },
    ],
  },
  plugins: [
    new ModuleFederationPlugin({
      name: "rspack_host",
      // alias: "container@entry" — the container is switchboard_sender, code imports "sender/sender".
      remotes: {
        sender: `switchboard_sender@${senderEntry}`,
        receiver: `switchboard_receiver@${receiverEntry}`,
      },
      shared,
      // Never fetch a remote just to compare versions: a remote that is down cannot stop the page.
      shareStrategy: "loaded-first",
      dts: false,
      manifest: false,
    }),
    new rspack.DefinePlugin({ "process.env.SWITCHBOARD_HUB_URL": JSON.stringify(hubUrl) }),
    new rspack.HtmlRspackPlugin({ template: "./index.html" }),
  ],
};
