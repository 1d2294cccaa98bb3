/**
 * A tiny typed event emitter (mitt-style). Every emitter in the client has an explicit event map,
 * so `on("stat", …)` or a wrong payload type is a compile error.
 *
 * A listener that throws must not corrupt the client's state machine (which emits in the middle
 * of its bookkeeping), so the error is re-thrown asynchronously: it still shows up in the console
 * (browser) or as an uncaught exception (Node), but the remaining listeners and the client go on.
 */

export type Listener<T> = (event: T) => void;
export type Unsubscribe = () => void;

/** Any interface or object type whose keys are event names and values the payloads. */
export type EventMap<T> = { [K in keyof T]: unknown };

export class Emitter<Events extends EventMap<Events>> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): Unsubscribe {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener);
    return () => this.off(type, listener);
  }

  /** Adds a listener that runs at most once. */
  once<K extends keyof Events>(type: K, listener: Listener<Events[K]>): Unsubscribe {
    const off = this.on(type, (event) => {
      off();
      listener(event);
    });
    return off;
  }

  off<K extends keyof Events>(type: K, listener: Listener<Events[K]>): void {
    const set = this.listeners.get(type);
    if (!set) return;
    set.delete(listener);
    if (set.size === 0) this.listeners.delete(type);
  }

  emit<K extends keyof Events>(type: K, event: Events[K]): void {
    const set = this.listeners.get(type);
    if (!set) return;
    // A copy: listeners may add or remove listeners while we iterate.
    for (const listener of [...set] as Listener<Events[K]>[]) {
      try {
        listener(event);
      } catch (err) {
        rethrowLater(err);
      }
    }
  }
}

function rethrowLater(err: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof report === "function") report(err);
  else
    setTimeout(() => {
      throw err;
    }, 0);
}
