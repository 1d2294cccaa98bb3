/** docs/errors.md and the code registry must agree, code for code and word for word. */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { CloseCode, closeCodeInfo, ErrorCode, errorCodeHttpStatus, errorCodeMeaning } from "../src/codes.js";

const doc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
const section = (title: string) => doc.split(`## ${title}`)[1]?.split("\n## ")[0] ?? "";
const rows = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith("| ") && !l.startsWith("| ---"))
    .slice(1)
    .map((l) =>
      l
        .split("|")
        .map((c) => c.trim())
        .slice(1, -1),
    );

it("lists every error code with the registry's meaning and HTTP status, and nothing else", () => {
  const table = section("Error codes");
  const header = table.split("\n").find((l) => l.startsWith("| "));
  expect(
    header
      ?.split("|")
      .map((c) => c.trim())
      .slice(1, 4),
  ).toEqual(["code", "meaning", "HTTP status"]);
  const documented = rows(table);
  expect(documented.map((r) => r[0])).toEqual(Object.values(ErrorCode));
  for (const [code, meaning, status] of documented) {
    expect(meaning).toBe(errorCodeMeaning[code as ErrorCode]);
    expect(status).toBe(String(errorCodeHttpStatus[code as ErrorCode] ?? "—"));
  }
});

it("lists every close code with the registry's reason and reconnect flag", () => {
  const documented = rows(section("Close codes"));
  expect(documented.map((r) => Number(r[0]))).toEqual(Object.values(CloseCode));
  for (const [code, reason, reconnect] of documented) {
    const info = closeCodeInfo[Number(code) as CloseCode];
    expect(reason).toBe(info.reason);
    expect(reconnect).toBe(info.reconnect ? "yes" : "no");
  }
});
