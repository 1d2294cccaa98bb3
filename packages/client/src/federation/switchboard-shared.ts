/**
 * What a Module Federation host shares so that Switchboard's remotes work on its page
 * (docs/federation.md): React with its subpaths and the Switchboard packages, as singletons with
 * compatible ranges. Pure data, no imports: webpack, Rspack and Vite configs load it in Node
 * (`@switchboard/client/federation`, also usable with `require()`).
 */

/** This package's version (a test keeps it equal to package.json). */
export const SWITCHBOARD_CLIENT_VERSION = "0.1.0";

/**
 * The remotes' container names: also the global variable each remoteEntry.js assigns, so they
 * are prefixed — an element `<div id="sender">` becomes `window.sender` and would shadow a
 * container named `sender` (the runtime then finds no `init`: RUNTIME-002).
 */
export const switchboardContainers = {
  sender: "switchboard_sender",
  receiver: "switchboard_receiver",
} as const;

export type SwitchboardRemoteName = keyof typeof switchboardContainers;

export interface SharedSingleton {
  singleton: true;
  requiredVersion: string;
  strictVersion: boolean;
  /** The version this build provides; omitted, the bundler reads it from the package.json it resolves. */
  version?: string;
}

export type SwitchboardSharedConfig = Record<string, SharedSingleton>;

export interface SwitchboardSharedOptions {
  /** The React range every module accepts. */
  reactRange?: string;
  /** The @switchboard/client version the host provides; its compatible range is derived from it. */
  clientVersion?: string;
  /**
   * Share @switchboard/react too: set it when the build installs that package. Off by default
   * because @module-federation/vite prebuilds every shared key and fails the build on one that is
   * not installed (webpack and Rspack only share what is imported).
   */
  reactBindings?: boolean;
  /** The @switchboard/react version the host provides; default: clientVersion (released together). */
  reactBindingsVersion?: string;
  /** Refuse a shared copy outside the range instead of only warning. */
  strictVersion?: boolean;
}

export const switchboardSharedDefaults = {
  reactRange: "^19.0.0",
  clientVersion: SWITCHBOARD_CLIENT_VERSION,
  reactBindings: false,
  strictVersion: true,
} as const satisfies Required<Omit<SwitchboardSharedOptions, "reactBindingsVersion">>;

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/;

/**
 * The versions that work with `version`: same major, and for 0.x the same minor (semver's caret
 * means exactly that), from the lowest patch on — so a patch bump on either side never refuses.
 */
export function compatibleRange(version: string): string {
  const parsed = parseVersion(version);
  if (!parsed) throw new TypeError(`switchboardShared: "${version}" is not a semver version (x.y.z)`);
  return parsed.major === 0 ? `^0.${parsed.minor}.0` : `^${parsed.major}.0.0`;
}

/**
 * Whether two @switchboard/client versions work together: the rule of compatibleRange (same
 * major, for 0.x the same minor), so the page-client check and the shared range never disagree.
 */
export function areCompatibleVersions(a: string, b: string): boolean {
  const [pa, pb] = [parseVersion(a), parseVersion(b)];
  if (!pa || !pb || pa.major !== pb.major) return false;
  return pa.major !== 0 || pa.minor === pb.minor;
}

function parseVersion(version: string): { major: number; minor: number } | undefined {
  const m = SEMVER.exec(version);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/**
 * The `shared` block for a host's (or remote's) federation plugin.
 *
 * React must be shared with its subpaths: the remotes import `react/jsx-runtime` and
 * `react-dom/client`, and an exact key `react` does not cover them, so each remote would get a
 * second React (React error #527, `createRoot is not a function`). The trailing-slash keys are
 * prefix shares in webpack and Rspack; `@module-federation/vite` (1.23) reads them too: it keeps
 * `react/` as a prefix and turns `react-dom/` into `react-dom` plus its browser subpaths
 * (`react-dom/client`), so the same block serves all three.
 */
export function switchboardShared(options: SwitchboardSharedOptions = {}): SwitchboardSharedConfig {
  const { reactRange, clientVersion, reactBindings, strictVersion } = {
    ...switchboardSharedDefaults,
    ...options,
  };
  const singleton = (requiredVersion: string, version?: string): SharedSingleton => ({
    singleton: true,
    requiredVersion,
    strictVersion,
    ...(version === undefined ? {} : { version }),
  });
  const shared: SwitchboardSharedConfig = {
    react: singleton(reactRange),
    "react/": singleton(reactRange),
    "react-dom": singleton(reactRange),
    "react-dom/": singleton(reactRange),
    "@switchboard/client": singleton(compatibleRange(clientVersion), options.clientVersion),
  };
  if (reactBindings) {
    const bindings = options.reactBindingsVersion ?? clientVersion;
    shared["@switchboard/react"] = singleton(compatibleRange(bindings), options.reactBindingsVersion);
  }
  return shared;
}
