import { getSharedClient } from "@switchboard/client";
import { createRoot } from "react-dom/client";
import { App } from "./app";

declare const __SWITCHBOARD_HUB_URL__: string;

// The page's one client, created before any remote mounts; the remotes find it (shared singleton).
getSharedClient({ urls: [__SWITCHBOARD_HUB_URL__], name: "vite-host" });

const root = document.getElementById("root");
if (root) createRoot(root).render(<App bundler="Vite" />);
