import { getSharedClient } from "@switchboard/client";
import { createRoot } from "react-dom/client";
import { App } from "./app";

// The page's one client, created before any remote mounts; the remotes find it (shared singleton).
getSharedClient({ urls: [process.env.SWITCHBOARD_HUB_URL ?? ""], name: "rspack-host" });

const root = document.getElementById("root");
if (root) createRoot(root).render(<App bundler="Rspack" />);
