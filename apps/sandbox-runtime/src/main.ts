import { mkdir, realpath } from 'node:fs/promises';
import { listenOn, runProgram } from '@agent-sandbox/runtime/program';
import pkg from '../package.json' with { type: 'json' };
import { createRuntimeServer } from './server.ts';

const MiB = 1024 * 1024;

await runProgram({
  name: 'sandbox-runtime',
  version: pkg.version,
  summary:
    'The server inside a sandbox: runs commands (POST /execute, streamed on POST /execute/stream) and moves files ' +
    '(POST /upload, GET /download/{path}, /list/{path}, /exists/{path}) under one base directory, for the SDKs through ' +
    'the sandbox-router. Runs as a non-root user; needs only its base directory writable.',
  flags: {
    port: { kind: 'integer', help: 'TCP port of the API (0: any free port, logged).', default: 8888, min: 0 },
    'listen-host': { kind: 'string', help: 'Address to listen on ("::" for every interface).', default: '::' },
    'sandbox-base-dir': {
      kind: 'string',
      help: 'The directory every file path is relative to and confined in, and where commands start.',
      default: '/app',
    },
    'sandbox-exec-timeout-seconds': {
      kind: 'integer',
      help: "A command's timeout, and the most a request may ask for: then its whole process group is killed.",
      default: 300,
      min: 1,
    },
    'max-output-bytes': {
      kind: 'integer',
      help: 'Bytes kept of each of stdout and stderr of a command run by /execute; the rest is dropped and marked (streaming keeps nothing).',
      default: 16 * MiB,
      min: 1024,
    },
    'max-request-bytes': { kind: 'integer', help: 'Largest JSON request body (with the stdin it carries); larger ones get 413.', default: 8 * MiB, min: 1024 },
    'max-upload-bytes': { kind: 'integer', help: 'Largest uploaded file; larger ones get 413 and leave nothing on disk.', default: 512 * MiB, min: 1 },
    'max-concurrent-commands': { kind: 'integer', help: 'Commands running at once; more get 429 with Retry-After.', default: 64, min: 1 },
    'allow-root': {
      kind: 'boolean',
      help: 'Start even as root (uid 0). Off by default: the commands an agent runs get the runtime\'s user.',
      default: false,
    },
    // The health of the runtime is its own `GET /`; no second port unless asked for.
    'health-probe-bind-address': {
      kind: 'string',
      help: 'Address of extra /healthz and /readyz endpoints (host:port, :port for all interfaces, 0 to disable).',
      default: '0',
    },
  },
  async start({ flags, log, health }) {
    if (process.getuid?.() === 0 && !flags['allow-root']) {
      throw new Error('refusing to run as root (uid 0): run as a non-root user, or pass --allow-root');
    }
    const base = flags['sandbox-base-dir'];
    await mkdir(base, { recursive: true });
    const baseDir = await realpath(base);
    const { server } = createRuntimeServer(
      {
        baseDir,
        execTimeoutSeconds: flags['sandbox-exec-timeout-seconds'],
        maxOutputBytes: flags['max-output-bytes'],
        maxRequestBytes: flags['max-request-bytes'],
        maxUploadBytes: flags['max-upload-bytes'],
        maxConcurrentCommands: flags['max-concurrent-commands'],
      },
      log,
    );
    const address = await listenOn(server, { host: flags['listen-host'], port: flags.port });
    let serving = true;
    health.addReadinessCheck('serving', () => serving);
    log.info({ address: address.address, port: address.port, baseDir, uid: process.getuid?.() }, 'serving the runtime API');
    return async () => {
      serving = false;
      // Stop accepting; running commands and transfers finish within the shutdown timeout.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    };
  },
});
