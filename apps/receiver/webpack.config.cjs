// Module Federation remote "receiver": exposes ./receiver (displayMessage + the live message list).
// CommonJS on purpose (.cjs): the enhanced plugin's generated entry breaks under "type":"commonjs" roots (STACK.md).
const path = require("node:path");
const HtmlWebpackPlugin = require("html-webpack-plugin");
const { ModuleFederationPlugin } = require("@module-federation/enhanced/webpack");

// The client is a strict singleton pinned to the workspace version: one WebSocket per page,
// and a host that ships an incompatible client is refused loudly instead of opening a second one.
const clientVersion = require(path.resolve(__dirname, "../../packages/client/package.json")).version;
const reactRange = "^19.0.0";

/** @type {import("webpack").Configuration} */
module.exports = {
  entry: "./src/index.ts",
  target: "web",
  devtool: "source-map",
  output: {
    path: path.resolve(__dirname, "dist"),
    // "auto": chunks resolve against remoteEntry.js's own origin, wherever the host lives.
    publicPath: "auto",
    // Entry chunks keep plain names (served no-cache): the federation runtime module resolves the
    // entry's filename before hashes exist, and webpack 5.113 rejects [contenthash] there.
    filename: "[name].js",
    chunkFilename: "[name].[contenthash:10].js",
    uniqueName: "switchboard_receiver",
    clean: true,
  },
  resolve: {
    extensions: [".tsx", ".ts", ".js"],
    extensionAlias: { ".js": [".ts", ".tsx", ".js"] },
  },
  module: {
    rules: [
      {
        test: /\.tsx?$/,
        exclude: /node_modules/,
        use: {
          loader: "swc-loader",
          options: {
            jsc: {
              parser: { syntax: "typescript", tsx: true },
              transform: { react: { runtime: "automatic" } },
              target: "es2022",
            },
          },
        },
      },
    ],
  },
  plugins: [
    new ModuleFederationPlugin({
      name: "receiver",
      filename: "remoteEntry.js",
      // "." lets a host write import("receiver"); "./receiver" is the documented expose.
      exposes: { ".": "./src/receiver.ts", "./receiver": "./src/receiver.ts" },
      shared: {
        react: { singleton: true, requiredVersion: reactRange },
        "react/": { singleton: true, requiredVersion: reactRange },
        "react-dom": { singleton: true, requiredVersion: reactRange },
        "react-dom/": { singleton: true, requiredVersion: reactRange },
        "@switchboard/client": {
          singleton: true,
          strictVersion: true,
          requiredVersion: clientVersion,
          version: clientVersion,
        },
      },
      shareStrategy: "loaded-first",
      manifest: true,
      dts: false,
    }),
    // A standalone page (index.html) for working on the receiver alone; hosts only use remoteEntry.js.
    new HtmlWebpackPlugin({ title: "Switchboard receiver (standalone)", templateContent: standalonePage }),
  ],
  performance: { hints: false },
};

function standalonePage() {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard receiver (standalone)</title>
<style>body{font-family:system-ui,sans-serif;margin:0;padding:24px;background:#f4f5f7}#receiver-slot{max-width:720px;height:80vh}</style>
</head>
<body><main><h1>Receiver (standalone)</h1><div id="receiver-slot"></div></main></body>
</html>`;
}
