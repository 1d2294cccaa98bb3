import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** The full path of `name` on PATH (like `command -v`), or undefined when it is not installed. */
export function findExecutable(name: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}
