// Module Federation host shell. Remote URLs are NOT fixed here: the page reads /config.json at run
// time and re-registers the remotes before loading them (src/remotes.ts). The build-time entries
// below only make `import("sender")` / `import("receiver")` resolvable and give local defaults.
// CommonJS on purpose (.cjs): the enhanced plugin's generated entry breaks under "type":"commonjs" roots (STACK.md).
const path = require("node:path");
const HtmlWebpackPlugin = require("html-webpack-plugin");
const { ModuleFederationPlugin } = require("@module-federation/enhanced/webpack");

// The client is a strict singleton pinned to the workspace version: one WebSocket per page.
const clientVersion = require(path.resolve(__dirname, "../../packages/client/package.json")).version;
const reactRange = "^19.0.0";

/** @type {import("webpack").Configuration} */
module.exports = {
  entry: "./src/index.ts",
  target: "web",
  devtool: "source-map",
  output: {
    path: path.resolve(__dirname, "dist"),
    publicPath: "auto",
    // Entry chunks keep plain names (served no-cache): the federation runtime module resolves the
    // entry's filename before hashes exist, and webpack 5.113 rejects [contenthash] there.
    filename: "[name].js",
    chunkFilename: "[name].[contenthash:10].js",
    uniqueName: "switchboard_host",
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
      name: "host",
      remotes: {
        sender: "sender@http://localhost:3001/remoteEntry.js",
        receiver: "receiver@http://localhost:3002/remoteEntry.js",
      },
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
      // 'loaded-first': the host never fetches a remote's entry just to compare shared versions,
      // so a remote that is down cannot stop the host from starting (STACK.md, RUNTIME-003).
      shareStrategy: "loaded-first",
      runtimePlugins: [require.resolve("./src/resilience-plugin.ts")],
      dts: false,
    }),
    new HtmlWebpackPlugin({ template: "./src/index.html", title: "Switchboard" }),
  ],
  performance: { hints: false },
};
