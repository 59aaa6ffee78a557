/** What the runtime server needs to know, from its flags (see main.ts). */
export interface RuntimeConfig {
  /** The base directory with its own links resolved: every client path lies under it. */
  baseDir: string;
  /** Default and ceiling of a command's timeout. */
  execTimeoutSeconds: number;
  /** Bytes kept of each of a command's stdout and stderr on `/execute` (streaming keeps none). */
  maxOutputBytes: number;
  /** Largest JSON request body (`/execute`, whose `stdin` it carries). */
  maxRequestBytes: number;
  /** Largest uploaded file. */
  maxUploadBytes: number;
  /** Commands running at once; more are refused with 429. */
  maxConcurrentCommands: number;
}
