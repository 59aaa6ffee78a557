/**
 * Jaeger v2 on loopback with in-memory storage: OTLP in (gRPC and HTTP), the query API and
 * its UI out. A child of this process: `stop()` ends it (SIGTERM, then SIGKILL) and resolves
 * once it is gone and its ports are free; a test process that dies takes it along.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portInUse } from '@agent-sandbox/cache';
import { ensureJaeger } from './go-tools.ts';

export interface JaegerPorts {
  otlpGrpc: number;
  otlpHttp: number;
  /** The query API (`/api/...`) and the UI. */
  queryHttp: number;
  queryGrpc: number;
  health: number;
}

export interface JaegerOptions {
  /** Ports to listen on (127.0.0.1); each one left out is chosen free. */
  ports?: Partial<JaegerPorts>;
  /** Traces kept in memory before the oldest are dropped. Default 50,000. */
  maxTraces?: number;
  /** Where Jaeger's own log goes; default a file in its temporary folder. */
  logFile?: string;
  progress?: (line: string) => void;
}

export interface Jaeger {
  ports: JaegerPorts;
  /** OTLP/HTTP base URL, for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter adds /v1/traces). */
  otlpHttpEndpoint: string;
  /** OTLP/gRPC address, for exporters that speak gRPC. */
  otlpGrpcEndpoint: string;
  /** The query API and the UI. */
  queryUrl: string;
  logFile: string;
  /** The OTEL_* variables that point a program at this Jaeger. */
  otelEnv(serviceName?: string): Record<string, string>;
  stop(): Promise<void>;
}

/** The configuration: only what this project uses, every socket on loopback, no internal metrics port. */
export function jaegerConfig(ports: JaegerPorts, maxTraces: number): string {
  const at = (port: number) => `127.0.0.1:${port}`;
  return `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource:
      service.name: jaeger
    metrics:
      level: none
    traces:
      level: none
    logs:
      level: warn
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: ${at(ports.health)}
  jaeger_query:
    # On by default in v2: it would trace the query service itself over OTLP/gRPC to
    # localhost:4317 (ours, or nobody's) and hold up shutdown trying to flush.
    enable_tracing: false
    storage:
      traces: memstore
    http:
      endpoint: ${at(ports.queryHttp)}
    grpc:
      endpoint: ${at(ports.queryGrpc)}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: ${maxTraces}
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${at(ports.otlpGrpc)}
      http:
        endpoint: ${at(ports.otlpHttp)}
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

/** Jaegers still running when this process exits are killed with it, never orphaned. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds Jaeger if needed, starts it and resolves once its query API answers. */
export async function startJaeger(options: JaegerOptions = {}): Promise<Jaeger> {
  const { bin } = await ensureJaeger(options.progress);
  const ports: JaegerPorts = {
    otlpGrpc: options.ports?.otlpGrpc ?? (await freePort()),
    otlpHttp: options.ports?.otlpHttp ?? (await freePort()),
    queryHttp: options.ports?.queryHttp ?? (await freePort()),
    queryGrpc: options.ports?.queryGrpc ?? (await freePort()),
    health: options.ports?.health ?? (await freePort()),
  };
  for (const [name, port] of Object.entries(ports)) {
    if (await portInUse(port)) throw new Error(`jaeger: port ${port} (${name}) on 127.0.0.1 is in use`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'jaeger-'));
  const configFile = join(dir, 'config.yaml');
  await writeFile(configFile, jaegerConfig(ports, options.maxTraces ?? 50_000));
  const logFile = options.logFile ?? join(dir, 'jaeger.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  // Jaeger traces itself with the OpenTelemetry SDK, which reads the same OTEL_* variables as
  // our programs (and dials 127.0.0.1:4317 by default, blocking its shutdown): off.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const child = spawn(bin, ['--config', configFile], { cwd: dir, env: { ...env, OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'none' }, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  void exited.then(() => {
    live.delete(child);
    log.end();
  });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killed = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killed);
      }
      await rm(dir, { recursive: true, force: options.logFile === undefined ? true : false }).catch(() => undefined);
    })());

  const queryUrl = `http://127.0.0.1:${ports.queryHttp}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`jaeger exited (${child.exitCode ?? child.signalCode}) before answering; log: ${logFile}`);
    }
    try {
      const res = await fetch(`${queryUrl}/api/services`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`jaeger did not answer on ${queryUrl} within 30 s; log: ${logFile}`);
    }
    await sleep(100);
  }
  const otlpHttpEndpoint = `http://127.0.0.1:${ports.otlpHttp}`;
  return {
    ports,
    otlpHttpEndpoint,
    otlpGrpcEndpoint: `127.0.0.1:${ports.otlpGrpc}`,
    queryUrl,
    logFile,
    otelEnv: (serviceName) => ({
      OTEL_TRACES_EXPORTER: 'otlp',
      // What the exporter speaks (OTLP/HTTP with JSON bodies); Jaeger's receiver takes both encodings.
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpHttpEndpoint,
      // Short batches: a trace shows up in the store a moment after its spans end.
      OTEL_BSP_SCHEDULE_DELAY: '200',
      ...(serviceName ? { OTEL_SERVICE_NAME: serviceName } : {}),
    }),
    stop,
  };
}
