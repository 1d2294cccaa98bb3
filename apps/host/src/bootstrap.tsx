import { getSharedClient } from "@switchboard/client";
import { SwitchboardProvider } from "@switchboard/react";
import { createRoot } from "react-dom/client";
import { App } from "./app.js";
import { type HostConfig, loadConfig } from "./config.js";
import { loadDisplayName } from "./display-name.js";
import { registerRemoteUrls } from "./remotes.js";
import { displayMessage, sayHello, sendMessage } from "./seed-compat.js";

declare global {
  interface Window {
    /** For the console and browser tests: the page's config, its one client, and the sendMessage/displayMessage API. */
    switchboard?: {
      config: HostConfig;
      client: ReturnType<typeof getSharedClient>;
      sayHello: typeof sayHello;
      sendMessage: typeof sendMessage;
      displayMessage: typeof displayMessage;
    };
  }
}

async function start(): Promise<void> {
  const { config, problem } = await loadConfig();
  if (problem) console.warn(`[switchboard] ${problem}`);
  // Before anything can load a remote: the build-time remote URLs are only defaults.
  registerRemoteUrls(config.remotes, config.integrity);
  const name = loadDisplayName();
  // The page's one client (an MF singleton): configured here, before any remote asks for it.
  const client = getSharedClient({ urls: [config.hubUrl], name });
  window.switchboard = { config, client, sayHello, sendMessage, displayMessage };

  const rootElement = document.getElementById("root");
  if (!rootElement) throw new Error("#root is missing from index.html");
  rootElement.replaceChildren();
  // The provider makes the host itself a user of the shared @switchboard/react, so the remotes
  // take the host's copy instead of loading their own.
  createRoot(rootElement).render(
    <SwitchboardProvider client={client}>
      <App config={config} initialName={name} configProblem={problem} />
    </SwitchboardProvider>,
  );
}

void start();
