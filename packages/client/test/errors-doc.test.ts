/** docs/errors.md lists every code the client adds to the protocol's registry, and only those. */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { ClientErrorCode } from "../src/index.js";

const doc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");

it("documents every client error code in 'Client SDK errors'", () => {
  const section = doc.split("## Client SDK errors")[1]?.split("\n## ")[0] ?? "";
  const codes = section
    .split("\n")
    .filter((l) => l.startsWith("| ") && !l.startsWith("| ---"))
    .slice(1)
    .map((l) => l.split("|")[1]?.trim());
  expect(codes).toEqual(Object.values(ClientErrorCode));
});
