/**
 * Runs async tasks one at a time per key, in call order; different keys run concurrently. A key
 * with nothing queued holds no memory, and with no key queued there is no map at all (each
 * connection has one, for its subscribes). Used where each task needs the previous one's result
 * from the engine (the NATS broker's expected-last-sequence appends).
 */
export class KeyedSerial {
  /** The last task of each key with one queued; no map at all while nothing is. */
  #queues: Map<string, Promise<unknown>> | undefined;

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    this.#queues ??= new Map<string, Promise<unknown>>();
    const queues = this.#queues;
    const result = (queues.get(key) ?? Promise.resolve()).then(task);
    const settled = result.catch(() => {});
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) !== settled) return;
      queues.delete(key);
      if (queues.size === 0 && this.#queues === queues) this.#queues = undefined;
    });
    return result;
  }
}
