/**
 * Runs async tasks one at a time per key, in call order; different keys run concurrently. A key
 * with nothing queued holds no memory. Used where each task needs the previous one's result from
 * the engine (the NATS broker's expected-last-sequence appends).
 */
export class KeyedSerial {
  readonly #queues = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.#queues.get(key) ?? Promise.resolve()).then(task);
    const settled = result.catch(() => {});
    this.#queues.set(key, settled);
    void settled.then(() => {
      if (this.#queues.get(key) === settled) this.#queues.delete(key);
    });
    return result;
  }
}
