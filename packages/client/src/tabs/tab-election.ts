/**
 * Which tab holds the connection: the holder of a Web Lock named for the group. The browser
 * releases a lock when its tab closes or crashes and grants it to the next waiting tab, so
 * closing and crashing need no detection of ours. A frozen holder keeps its lock: the riders
 * notice it stopped answering (TabCoordinator) and take the lock with `steal: true`; the stolen
 * holder's request then rejects (AbortError) and it steps down when it runs again.
 */
export interface ElectionHooks {
  /** This tab now holds the lock. */
  elected(): void;
  /** The lock was taken from this tab (stolen). */
  deposed(): void;
}

/** The part of `navigator.locks` used here (LockManager). */
export interface LockManagerLike {
  request(name: string, options: LockOptions, callback: (lock: Lock | null) => unknown): Promise<unknown>;
}

export class TabElection {
  /** Resolves the promise that keeps the current grant; undefined while not holding. */
  private release: (() => void) | undefined;
  /** The grant currently held (identity, to tell a stolen grant from an older one). */
  private grant: object | undefined;
  private queued: AbortController | undefined;
  private running = false;

  constructor(
    private readonly locks: LockManagerLike,
    private readonly name: string,
    private readonly hooks: ElectionHooks,
  ) {}

  get holding(): boolean {
    return this.grant !== undefined;
  }

  /** Waits for the lock (queued behind the holder). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.queue();
  }

  /** Takes the lock now, from a holder that stopped answering. */
  steal(): void {
    if (!this.running || this.grant) return;
    this.queued?.abort();
    this.queued = undefined;
    this.acquire({ steal: true });
  }

  /** Gives the lock up (and stops waiting for it). */
  stop(): void {
    this.running = false;
    this.queued?.abort();
    this.queued = undefined;
    this.grant = undefined;
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  private queue(): void {
    const controller = new AbortController();
    this.queued = controller;
    this.acquire({ signal: controller.signal });
  }

  private acquire(options: LockOptions): void {
    const grant = {};
    this.locks
      .request(this.name, options, () => {
        if (!this.running) return undefined; // stopped meanwhile: let it go at once
        this.queued = undefined;
        this.grant = grant;
        return new Promise<void>((resolve) => {
          this.release = resolve;
          this.hooks.elected();
        });
      })
      .catch(() => {
        // AbortError: either our queued request was withdrawn (steal, stop) — nothing to do —
        // or the grant we hold was stolen.
        if (this.grant !== grant) return;
        this.grant = undefined;
        this.release = undefined;
        if (!this.running) return;
        this.hooks.deposed();
        if (this.running && !this.queued && !this.grant) this.queue();
      });
  }
}
