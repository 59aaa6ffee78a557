/**
 * The Node flags every program runs with: in its image (the entrypoint), under `npm start`, in
 * the e2e harness when it runs bundles, and in the benchmarks, so that what is measured is
 * what is shipped.
 *
 * - `--max-old-space-size-percentage=70`: V8's old space follows the container's memory limit
 *   (the cgroup limit; the machine's memory without one). Node's default heap limit is
 *   derived from the machine's memory, far above a small container limit, so a program would
 *   be OOM-killed by the kernel instead of collecting garbage harder. 70% leaves the rest of
 *   the limit to what is not old space: young generation, code, buffers, sockets, OpenSSL.
 * - `--max-semi-space-size=1` (MB): the young generation stays at a few MB. Left alone, V8
 *   grows it to tens of MB under the allocation bursts of listing and watching thousands of
 *   objects, and keeps it, which is most of a busy controller's resident memory.
 * - `--invocation-count-for-maglev=1500` (V8's default 400): start-up alone no longer calls any
 *   function often enough for V8's mid-tier compiler, so an idle program never touches that
 *   compiler's 2.2 MB of machine code in the node binary (idle RSS 64.5–65.8 → 62.4–63.1 MB,
 *   every program, footprint bench side by side). Under load the hot functions pass 1,500 calls
 *   within seconds: CPU per claim unchanged (claims bench at 10/s, alternated runs).
 *
 * Not `--enable-source-maps`: parsing the bundle's source map at start costs ~30 MB of
 * resident memory. Stack traces name the bundle's lines (it is not minified); the map ships
 * beside the bundle for `NODE_OPTIONS=--enable-source-maps` when debugging.
 */
export const PROGRAM_NODE_FLAGS: readonly string[] = ['--max-old-space-size-percentage=70', '--max-semi-space-size=1', '--invocation-count-for-maglev=1500'];

/**
 * The Node flags of the in-sandbox runtime (one per sandbox, so every MB counts tens of
 * thousands of times): a small young generation and no source maps, as for the programs
 * (19 MB less resident per sandbox than with `--enable-source-maps`: 81.8 → 62.5 MB measured).
 * No heap percentage: the sandbox's memory limit belongs to the agent's commands, and the
 * runtime's own heap stays a few MB.
 */
export const RUNTIME_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
