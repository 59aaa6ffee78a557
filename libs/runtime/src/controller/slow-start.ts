/**
 * Slow start (ReplicaSet): make `total` objects in batches of 1, 2, 4, … (capped), each batch
 * at once, stopping at the first batch with a failure, so a request that cannot succeed (quota,
 * admission, a bad template) costs a handful of calls instead of `total`.
 */
export function slowStartBatches(total: number, maxBatch: number): number[] {
  const out: number[] = [];
  let size = 1;
  for (let left = total; left > 0; ) {
    const n = Math.min(size, left, Math.max(1, maxBatch));
    out.push(n);
    left -= n;
    size *= 2;
  }
  return out;
}

/** Runs `make` `total` times in slow-start batches; the count made and the first error, if any. */
export async function slowStart(total: number, maxBatch: number, make: () => Promise<void>, onBatch?: (n: number) => void): Promise<{ made: number; error?: unknown }> {
  let made = 0;
  for (const n of slowStartBatches(total, maxBatch)) {
    onBatch?.(n);
    const results = await Promise.allSettled(Array.from({ length: n }, () => make()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    made += results.filter((r) => r.status === 'fulfilled').length;
    if (failed) return { made, error: failed.reason };
  }
  return { made };
}

/**
 * Runs `act` on each item, `batch` at a time (each batch at once, the next when it is done),
 * stopping after a batch in which `act` failed: a pool scaled down by thousands sends a steady
 * stream of deletes rather than thousands at once, which the API server would turn away (429),
 * and a failure that would repeat costs one batch. `tried` counts the items `act` was called on,
 * from the first.
 */
export async function inBatches<T>(items: readonly T[], batch: number, act: (item: T) => Promise<void>): Promise<{ tried: number; error?: unknown }> {
  const size = Math.max(1, batch);
  for (let tried = 0; tried < items.length; ) {
    const results = await Promise.allSettled(items.slice(tried, tried + size).map(act));
    tried += results.length;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) return { tried, error: failed.reason };
  }
  return { tried: items.length };
}
