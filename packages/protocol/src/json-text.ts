/**
 * JSON text of a value of any depth. JSON.stringify recurses and throws RangeError on values
 * nested a few thousand levels deep, which JSON.parse reads fine; a publication stored before
 * limits.maxDepth existed (or with a higher one) must still be served (docs/protocol.md "Bad
 * input and abuse"), so the hub falls back to this iterative writer. Same output as
 * JSON.stringify for JSON values (no toJSON, no replacer).
 */

type Step = { kind: "text"; text: string } | { kind: "value"; value: unknown };

export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return stringifyIteratively(value);
  }
}

function stringifyIteratively(root: unknown): string {
  const out: string[] = [];
  const steps: Step[] = [{ kind: "value", value: root }];
  for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
    if (step.kind === "text") {
      out.push(step.text);
      continue;
    }
    const { value } = step;
    if (typeof value !== "object" || value === null) {
      const text = JSON.stringify(value);
      out.push(text === undefined ? "null" : text);
      continue;
    }
    // Pushed in reverse: the stack pops the first member first.
    const members: Step[] = [];
    if (Array.isArray(value)) {
      members.push({ kind: "text", text: "[" });
      value.forEach((item, i) => {
        if (i > 0) members.push({ kind: "text", text: "," });
        members.push({ kind: "value", value: item });
      });
      members.push({ kind: "text", text: "]" });
    } else {
      members.push({ kind: "text", text: "{" });
      let first = true;
      for (const [key, item] of Object.entries(value)) {
        if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
        members.push({ kind: "text", text: `${first ? "" : ","}${JSON.stringify(key)}:` });
        members.push({ kind: "value", value: item });
        first = false;
      }
      members.push({ kind: "text", text: "}" });
    }
    for (let i = members.length - 1; i >= 0; i--) steps.push(members[i] as Step);
  }
  return out.join("");
}
