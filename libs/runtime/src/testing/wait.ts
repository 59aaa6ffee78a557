/**
 * Bounded waits for tests, shared by the libraries', the programs' and the end-to-end tests.
 */

/** Polls `check` until it holds, or fails naming `what` once `timeoutMs` has passed. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * The proof that something did NOT happen: `check` must hold at every look for `forMs`. A fixed
 * sleep followed by one look proves nothing about the time in between (and passes whenever the
 * thing happens a moment later); this looks throughout and fails at the first look that does not
 * hold, naming what it saw.
 */
export async function consistently(what: string, check: () => boolean | Promise<boolean>, forMs: number, everyMs = 50): Promise<void> {
  const until = Date.now() + forMs;
  for (let looks = 1; ; looks++) {
    if (!(await check())) throw new Error(`${what}: no longer true at look ${looks}, ${forMs - Math.max(0, until - Date.now())} ms into ${forMs} ms`);
    if (Date.now() >= until) return;
    await new Promise((r) => setTimeout(r, Math.min(everyMs, Math.max(1, until - Date.now()))));
  }
}
