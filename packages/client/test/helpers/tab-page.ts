/**
 * A page that runs the built client (dist/, served as ES modules with an import map, as in
 * browser.test.ts) with one channel subscription, for the tabs test and the tabs latency bench.
 * Query: channel=NAME, tabs=off (own connection), timers=stopped (no timer or animation frame
 * of the page ever fires).
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const packages = join(dirname(fileURLToPath(import.meta.url)), "../../..");
/** The client's one runtime dependency outside the repo (the offline outbox's IndexedDB wrapper). */
const idbModule = join(dirname(createRequire(import.meta.url).resolve("idb/package.json")), "build/index.js");

/** Resolves the bare imports of dist/ in a page without a bundler: serve the files with serveModule. */
export const IMPORT_MAP = `<script type="importmap">${JSON.stringify({
  imports: { "@switchboard/protocol": "/protocol/index.js", idb: "/idb/index.js" },
})}</script>`;

/** Answers `/client/…js`, `/protocol/…js` (their dist/) and `/idb/index.js`; false for any other URL. */
export function serveModule(url: string, res: ServerResponse): boolean {
  const match = /^\/(client|protocol)\/([\w./-]+\.js)$/.exec(url);
  const file =
    url === "/idb/index.js"
      ? idbModule
      : match
        ? normalize(join(packages, match[1] as string, "dist", match[2] as string))
        : "";
  if (file === "" || (match && !file.startsWith(packages)) || !existsSync(file)) return false;
  res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(file));
  return true;
}

/** What each tab records: every publication event of the channel, and its role. */
export interface TabRecord {
  /** `at`: Date.now() in the page when the event fired. */
  events: Array<{ type: string; offset: number | null; text: string; pending: boolean; at: number }>;
  roles: string[];
  errors: string[];
}

export function page(hubUrl: string): string {
  return `<!doctype html><meta charset="utf-8"><title>tab</title>
<script>
// ?timers=stopped: no timer or animation frame of this page ever fires — the limit of what
// Chromium does to a hidden tab (setTimeout at most once a second, later once a minute; no rAF).
if (new URLSearchParams(location.search).get("timers") === "stopped") {
  window.setTimeout = window.setInterval = window.requestAnimationFrame = () => 0;
}
</script>
${IMPORT_MAP}
<script type="module">
import { getSharedClient } from "/client/index.js";
const params = new URLSearchParams(location.search);
const client = getSharedClient({ urls: ${JSON.stringify(hubUrl)}, name: "tabs-test", tabs: params.get("tabs") !== "off" });
const record = (window.record = { events: [], roles: [client.tabRole], errors: [] });
client.on("tab", (e) => record.roles.push(e.role));
const sub = client.subscribe(params.get("channel"));
for (const type of ["publication", "confirmed", "failed"])
  sub.on(type, (m) => record.events.push({ type, offset: m.offset ?? null, text: m.data.text, pending: m.pending, at: Date.now() }));
window.client = client;
window.publish = (text) => client.publish(sub.channel, { text }).catch((e) => { record.errors.push(String(e)); });
</script>`;
}

/** Serves the page for `hubUrl` on an ephemeral port. */
export async function serveTabPage(hubUrl: string): Promise<{ base: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    if (url === "/" || url.startsWith("/?")) {
      res.writeHead(200, { "content-type": "text/html" }).end(page(hubUrl));
      return;
    }
    if (!serveModule(url, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
