/**
 * For the benchmarks' own requests: an API server that has just made a CRD's storage (or is
 * overloaded) answers 429 with a Retry-After; a benchmark waits as told instead of dying.
 */
export async function retryTooManyRequests<T>(call: () => Promise<T>, attempts = 30): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const { code, details } = err as { code?: number; details?: { retryAfterSeconds?: number } };
      if (code !== 429 || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, details?.retryAfterSeconds ?? 1) * 1000));
    }
  }
}
