// Module Federation remote "receiver": exposes ./receiver (displayMessage + the live message list).
const { appConfig, standalonePage } = require("../webpack-shared.cjs");

module.exports = appConfig({
  dir: __dirname,
  name: "receiver",
  federation: {
    filename: "remoteEntry.js",
    // "." lets a host write import("receiver"); "./receiver" is the documented expose.
    exposes: { ".": "./src/receiver.ts", "./receiver": "./src/receiver.ts" },
    manifest: true,
  },
  html: standalonePage("receiver", "max-width:720px;height:80vh"),
});
