// Module Federation host shell. Remote URLs are NOT fixed here: the page reads /config.json at run
// time and re-registers the remotes before loading them (src/remotes.ts). The build-time entries
// below only make `import("sender")` / `import("receiver")` resolvable and give local defaults.
const { appConfig, containerName } = require("../webpack-shared.cjs");

module.exports = appConfig({
  dir: __dirname,
  name: "host",
  federation: {
    remotes: {
      // alias → container@entry: code imports "sender/sender"; the global is switchboard_sender.
      sender: `${containerName("sender")}@http://localhost:3001/remoteEntry.js`,
      receiver: `${containerName("receiver")}@http://localhost:3002/remoteEntry.js`,
    },
    runtimePlugins: [require.resolve("./src/resilience-plugin.ts")],
  },
  html: { template: "./src/index.html", title: "Switchboard" },
});
