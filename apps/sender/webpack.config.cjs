// Module Federation remote "sender": exposes ./sender (sendMessage + the compose box).
const { appConfig, standalonePage } = require("../webpack-shared.cjs");

module.exports = appConfig({
  dir: __dirname,
  name: "sender",
  federation: {
    filename: "remoteEntry.js",
    // "." lets a host write import("sender"); "./sender" is the documented expose.
    exposes: { ".": "./src/sender.ts", "./sender": "./src/sender.ts" },
    manifest: true,
  },
  html: standalonePage("sender", "max-width:560px"),
});
