/**
 * Runs `make(0 … count-1)` with at most `batch` in flight at a time (e.g. a mass connect that
 * should not exceed the listen backlog), results in index order.
 */
export async function inBatches<T>(
  count: number,
  batch: number,
  make: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += batch) {
    const size = Math.min(batch, count - i);
    out.push(...(await Promise.all(Array.from({ length: size }, (_, j) => make(i + j)))));
  }
  return out;
}
