import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import type { RemoteName } from "./config.js";
import { IntegrityError } from "./entry-integrity.js";
import { loadRemoteModule, type RemoteModule } from "./remotes.js";

export type SlotStatus = "loading" | "mounted" | "unavailable";

type Unmount = ReturnType<RemoteModule["mount"]>;

interface Failure {
  reason: string;
  attempt: number;
  /** Refused: its entry did not match the pin. Not retried by itself (the pin will not change). */
  integrity: boolean;
}

export interface RemoteSlotProps<P extends object> {
  name: RemoteName;
  /** Passed to the remote's mount() (and update() on change); memoize it. */
  props: P;
  className: string;
  onStatus?: (name: RemoteName, status: SlotStatus) => void;
}

/** One short line for people: load errors are already short; a crash keeps its first line. */
function describe(error: unknown): string {
  if (error instanceof IntegrityError) return error.detail;
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n")[0] ?? text;
  return line.length > 140 ? `${line.slice(0, 139)}…` : line;
}

/** Wait before retry n (1-based): 1 s, 2 s, 4 s, then every 5 s — the remote may come back any time. */
export function retryDelayMs(attempt: number): number {
  return Math.min(1_000 * 2 ** (attempt - 1), 5_000);
}

/**
 * One remote in the page: loads it, mounts it into `#<name>-slot` (never `#<name>`: an element id
 * equal to a remote's name shadows its container global), and when it cannot be loaded — or
 * crashes — shows an alert naming it and keeps retrying in the background until it mounts.
 */
export function RemoteSlot<P extends object>({ name, props, className, onStatus }: RemoteSlotProps<P>) {
  const mountRef = useRef<HTMLDivElement>(null);
  const unmountRef = useRef<Unmount | undefined>(undefined);
  const propsRef = useRef(props);
  propsRef.current = props;
  const [module, setModule] = useState<RemoteModule | undefined>(undefined);
  const [attempt, setAttempt] = useState(1);
  const attemptRef = useRef(attempt);
  attemptRef.current = attempt;
  const [failure, setFailure] = useState<Failure | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [mounted, setMounted] = useState(false);

  const fail = useCallback((error: unknown, atAttempt: number) => {
    setModule(undefined);
    setMounted(false);
    setLoading(false);
    setFailure({ reason: describe(error), attempt: atAttempt, integrity: error instanceof IntegrityError });
  }, []);

  // Each attempt number is one load: the first, then one per retry (after a failure or a crash).
  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    loadRemoteModule(name, attempt > 1).then(
      (loaded) => {
        if (!cancelled) setModule(() => loaded);
      },
      (error: unknown) => {
        if (!cancelled) fail(error, attempt);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [name, attempt, fail]);

  // After a failure, schedule the next try.
  useEffect(() => {
    if (!failure || failure.integrity || loading || module) return;
    const timer = setTimeout(() => setAttempt(failure.attempt + 1), retryDelayMs(failure.attempt));
    return () => clearTimeout(timer);
  }, [failure, loading, module]);

  useLayoutEffect(() => {
    const element = mountRef.current;
    if (!module || !element) return;
    const onError = (error: unknown) =>
      fail(new Error(`It crashed (${describe(error)})`), attemptRef.current);
    try {
      unmountRef.current = module.mount(element, { ...propsRef.current, onError });
      setMounted(true);
      setLoading(false);
      setFailure(undefined);
    } catch (error) {
      fail(new Error(`It failed to start (${describe(error)})`), attemptRef.current);
    }
    return () => {
      const unmount = unmountRef.current;
      unmountRef.current = undefined;
      // The remote has its own React root: unmounting it during the host's commit is not allowed.
      if (unmount) setTimeout(unmount, 0);
    };
  }, [module, fail]);

  useEffect(() => {
    const unmount = unmountRef.current;
    if (!unmount?.update || !mounted) return;
    unmount.update({
      ...props,
      onError: (error: unknown) => fail(new Error(`It crashed (${describe(error)})`), attemptRef.current),
    });
  }, [props, mounted, fail]);

  const status: SlotStatus = mounted ? "mounted" : failure ? "unavailable" : "loading";
  useEffect(() => onStatus?.(name, status), [name, status, onStatus]);

  const retryNow = () => {
    if (failure && !loading) setAttempt(failure.attempt + 1);
  };

  return (
    <section className={className} aria-label={`${name} module`}>
      {status === "loading" && <p className="sb-slot-note">Loading {name}…</p>}
      {status === "unavailable" && failure?.integrity && (
        <div className="sb-slot-alert" role="alert" aria-label={`${name} failed its integrity check`}>
          <strong>{name} failed its integrity check</strong>
          <p>{failure.reason}.</p>
          <button type="button" onClick={retryNow} disabled={loading}>
            Check again
          </button>
        </div>
      )}
      {status === "unavailable" && failure && !failure.integrity && (
        <div className="sb-slot-alert" role="alert" aria-label={`${name} is unavailable`}>
          <strong>{name} is unavailable</strong>
          <p>
            {failure.reason}. {loading ? "Trying again now…" : "Retrying automatically."}
          </p>
          <button type="button" onClick={retryNow} disabled={loading}>
            Retry now
          </button>
        </div>
      )}
      <div id={`${name}-slot`} ref={mountRef} className="sb-slot-mount" hidden={!mounted} />
    </section>
  );
}
