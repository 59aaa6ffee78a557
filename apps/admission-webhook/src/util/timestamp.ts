/**
 * RFC 3339 timestamps with nanoseconds (Go's RFC3339Nano), for the latency annotations.
 * Date has milliseconds only, so the sub-millisecond part comes from the monotonic clock,
 * anchored once to the wall clock.
 */
export type NanoClock = () => bigint;

const anchorWallNs = BigInt(Date.now()) * 1_000_000n;
const anchorMonoNs = process.hrtime.bigint();

/** Nanoseconds since the Unix epoch. */
export const systemNanoClock: NanoClock = () => anchorWallNs + (process.hrtime.bigint() - anchorMonoNs);

/** `2025-01-02T03:04:05.123456789Z`: always nine fractional digits, UTC. */
export function rfc3339Nano(epochNs: bigint): string {
  const ms = Number(epochNs / 1_000_000n);
  const seconds = new Date(ms - (ms % 1000)).toISOString().slice(0, 19);
  const fraction = (epochNs % 1_000_000_000n).toString().padStart(9, '0');
  return `${seconds}.${fraction}Z`;
}
