// What every Switchboard front-end build shares: TypeScript through swc, production output that
// federation can serve from any origin, and the shared singletons. Each app's webpack.config.cjs
// adds only its federation role (exposes or remotes) and its page.
// CommonJS on purpose (.cjs): the enhanced plugin's generated entry breaks under "type":"commonjs" roots.
const path = require("node:path");
const HtmlWebpackPlugin = require("html-webpack-plugin");
const { ModuleFederationPlugin } = require("@module-federation/enhanced/webpack");

// The block every host is told to use (docs/federation.md): React with its subpaths and the
// Switchboard packages as singletons with a compatible range (same minor for 0.x), so a patch
// bump on either side still loads. Built by `tsc -b` first (npm run build does that).
const { switchboardContainers, switchboardShared } = require("@switchboard/client/federation");

// reactBindings: the remotes render through @switchboard/react (webpack shares only what is imported).
const shared = switchboardShared({ reactBindings: true });

/** A remote's container (and global) name: `switchboard_sender`, never a plain id like `sender`. */
function containerName(name) {
  return switchboardContainers[name] ?? name;
}

/**
 * MF DTS for a remote: the build compiles the exposed modules' declarations and zips them next to
 * remoteEntry.js (dist/@mf-types.zip + @mf-types.d.ts, listed in mf-manifest.json), where hosts
 * download them (docs/federation.md, "Types").
 */
function remoteTypes(dir) {
  return {
    generateTypes: {
      // Not tsconfig.json: its incremental build info (shared with `tsc -b`) made the DTS compile
      // skip declarations it thought current, and the zip then held only .d.ts.map files.
      tsConfigPath: path.resolve(dir, "tsconfig.mf-types.json"),
      abortOnError: true,
    },
    consumeTypes: false,
    displayErrorInTerminal: true,
  };
}

/**
 * @param {{ dir: string, name: string, federation: object, html: object }} app
 * @returns {import("webpack").Configuration}
 */
function appConfig({ dir, name, federation, html }) {
  return {
    context: dir,
    entry: "./src/index.ts",
    target: "web",
    // Maps give stack traces files and lines without shipping the sources (docs/security.md);
    // SWITCHBOARD_SOURCE_MAPS=full builds maps with sources.
    devtool: process.env.SWITCHBOARD_SOURCE_MAPS === "full" ? "source-map" : "nosources-source-map",
    output: {
      path: path.resolve(dir, "dist"),
      // "auto": chunks resolve against remoteEntry.js's own origin, wherever the host lives.
      publicPath: "auto",
      // Entry chunks keep plain names (served no-cache): the federation runtime module resolves the
      // entry's filename before hashes exist, and webpack 5.113 rejects [contenthash] there.
      filename: "[name].js",
      chunkFilename: "[name].[contenthash:10].js",
      uniqueName: `switchboard_${name}`,
      clean: true,
      // Rewrite every file on each build, unchanged ones too: `switchboard start` takes an
      // unstamped output newer than all its inputs as current (what `npm run build` leaves).
      compareBeforeEmit: false,
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
        name: containerName(name),
        shared,
        // 'loaded-first': the host never fetches a remote's entry just to compare shared versions,
        // so a remote that is down cannot stop the host from starting (federation runtime error RUNTIME-003).
        shareStrategy: "loaded-first",
        dts: federation.exposes ? remoteTypes(dir) : false,
        ...federation,
      }),
      new HtmlWebpackPlugin(html),
    ],
    performance: { hints: false },
  };
}

/** A remote's standalone page (index.html), for working on it alone; hosts only use remoteEntry.js. */
function standalonePage(name, slotStyle) {
  const title = `Switchboard ${name} (standalone)`;
  return {
    title,
    templateContent: `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{font-family:system-ui,sans-serif;margin:0;padding:24px;background:#f4f5f7}#${name}-slot{${slotStyle}}</style>
</head>
<body><main><h1>${name[0].toUpperCase()}${name.slice(1)} (standalone)</h1><div id="${name}-slot"></div></main></body>
</html>`,
  };
}

module.exports = { appConfig, containerName, standalonePage };
