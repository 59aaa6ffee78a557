/**
 * Ctrl-C (or SIGTERM) during a benchmark: run `cleanup` (stop the programs, take down the
 * cluster the benchmark made), then exit 130. Without it, the cluster would wait for the next
 * run's sweep of clusters whose owner is gone.
 */
export function onInterrupt(cleanup: () => Promise<unknown> | void, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void Promise.resolve()
        .then(cleanup)
        .catch((err: unknown) => log(`cleanup failed: ${String(err)}`))
        .finally(() => process.exit(130));
    });
  }
}
