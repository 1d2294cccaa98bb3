import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  compatibleRange,
  SWITCHBOARD_CLIENT_VERSION,
  switchboardContainers,
  switchboardShared,
} from "../src/federation/switchboard-shared.js";

const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
  exports: Record<string, unknown>;
};

describe("switchboardShared", () => {
  it("knows this package's version", () => {
    expect(SWITCHBOARD_CLIENT_VERSION).toBe(manifest.version);
  });

  it("shares react and react-dom with their subpaths and the Switchboard packages, all singletons", () => {
    const shared = switchboardShared({ reactBindings: true });
    expect(Object.keys(shared).sort()).toEqual([
      "@switchboard/client",
      "@switchboard/react",
      "react",
      "react-dom",
      "react-dom/",
      "react/",
    ]);
    for (const config of Object.values(shared)) expect(config.singleton).toBe(true);
    expect(shared["react/"]?.requiredVersion).toBe("^19.0.0");
    // The bundler reads the provided version from the package.json it resolves unless told.
    expect(shared["@switchboard/client"]).toEqual({
      singleton: true,
      requiredVersion: compatibleRange(manifest.version),
      strictVersion: true,
    });
  });

  it("accepts a patch skew on either side: same minor for 0.x, same major from 1.0", () => {
    expect(compatibleRange("0.1.0")).toBe("^0.1.0");
    expect(compatibleRange("0.1.7")).toBe("^0.1.0");
    expect(compatibleRange("0.2.3-rc.1")).toBe("^0.2.0");
    expect(compatibleRange("1.4.2")).toBe("^1.0.0");
    expect(() => compatibleRange("latest")).toThrow(/not a semver version/);
  });

  it("takes the versions and options a host needs", () => {
    const shared = switchboardShared({
      clientVersion: "1.2.3",
      reactRange: "^19.2.0",
      reactBindings: false,
      strictVersion: false,
    });
    expect(shared["@switchboard/client"]).toEqual({
      singleton: true,
      requiredVersion: "^1.0.0",
      strictVersion: false,
      version: "1.2.3",
    });
    expect(shared["@switchboard/react"]).toBeUndefined();
    expect(switchboardShared()["@switchboard/react"]).toBeUndefined();
    expect(
      switchboardShared({ reactBindings: true, reactBindingsVersion: "0.3.1" })["@switchboard/react"],
    ).toEqual({
      singleton: true,
      requiredVersion: "^0.3.0",
      strictVersion: true,
      version: "0.3.1",
    });
    expect(shared["react-dom/"]?.requiredVersion).toBe("^19.2.0");
  });

  it("names containers so that an element id like `sender` cannot shadow them", () => {
    expect(switchboardContainers).toEqual({ sender: "switchboard_sender", receiver: "switchboard_receiver" });
  });

  it("is exported for configs as @switchboard/client/federation", () => {
    expect(manifest.exports["./federation"]).toEqual({
      types: "./dist/federation/switchboard-shared.d.ts",
      default: "./dist/federation/switchboard-shared.js",
    });
  });
});
