/**
 * Reading traces back from Jaeger's query API (`/api/traces/<id>`), flattened into spans that
 * name their service, parent and links, for tests and for `npm run trace`.
 */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  /** The span it is a child of (CHILD_OF), whether or not that span is in the store. */
  parentSpanId?: string;
  /** Spans it links to (FOLLOWS_FROM), as trace and span ids. */
  links: Array<{ traceId: string; spanId: string }>;
  name: string;
  service: string;
  /** Microseconds since the epoch. */
  startUs: number;
  durationUs: number;
  attributes: Record<string, string | number | boolean>;
  events: Array<{ name: string; attributes: Record<string, string | number | boolean> }>;
}

interface JaegerKeyValue {
  key: string;
  type?: string;
  value: string | number | boolean;
}

interface JaegerTrace {
  traceID: string;
  spans: Array<{
    traceID: string;
    spanID: string;
    operationName: string;
    references?: Array<{ refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }>;
    startTime: number;
    duration: number;
    tags?: JaegerKeyValue[];
    logs?: Array<{ timestamp: number; fields: JaegerKeyValue[] }>;
    processID: string;
  }>;
  processes: Record<string, { serviceName: string }>;
}

const attributesOf = (kvs: JaegerKeyValue[] = []) => Object.fromEntries(kvs.map((kv) => [kv.key, kv.value]));

/** The spans of one trace (empty when Jaeger has none for it yet). */
export async function fetchTrace(queryUrl: string, traceId: string): Promise<StoredSpan[]> {
  const res = await fetch(`${queryUrl}/api/traces/${traceId}`, { signal: AbortSignal.timeout(5_000) });
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`jaeger: GET /api/traces/${traceId}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { data?: JaegerTrace[] };
  return (body.data ?? []).flatMap((t) =>
    t.spans.map((s) => {
      const parent = s.references?.find((r) => r.refType === 'CHILD_OF');
      const events = (s.logs ?? []).map((l) => {
        const attributes = attributesOf(l.fields);
        const name = String(attributes.event ?? '');
        delete attributes.event;
        return { name, attributes };
      });
      return {
        traceId: s.traceID,
        spanId: s.spanID,
        ...(parent ? { parentSpanId: parent.spanID } : {}),
        links: (s.references ?? []).filter((r) => r.refType === 'FOLLOWS_FROM').map((r) => ({ traceId: r.traceID, spanId: r.spanID })),
        name: s.operationName,
        service: t.processes[s.processID]?.serviceName ?? '',
        startUs: s.startTime,
        durationUs: s.duration,
        attributes: attributesOf(s.tags),
        events,
      };
    }),
  );
}

/** The services Jaeger has seen spans from. */
export async function fetchServices(queryUrl: string): Promise<string[]> {
  const res = await fetch(`${queryUrl}/api/services`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`jaeger: GET /api/services: ${res.status}`);
  return ((await res.json()) as { data?: string[] }).data ?? [];
}

/** A trace as an indented tree (children under parents, by start time), one span a line. */
export function renderTrace(spans: readonly StoredSpan[]): string {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map<string | undefined, StoredSpan[]>();
  for (const s of spans) {
    const parent = s.parentSpanId && byId.has(s.parentSpanId) ? s.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const t0 = Math.min(...spans.map((s) => s.startUs));
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const s of (children.get(parent) ?? []).sort((a, b) => a.startUs - b.startUs)) {
      const status = s.attributes['http.response.status_code'] ?? s.attributes['agent_sandbox.adoption.outcome'] ?? '';
      lines.push(`${((s.startUs - t0) / 1000).toFixed(1).padStart(8)} ms ${(s.durationUs / 1000).toFixed(1).padStart(7)} ms  ${'  '.repeat(depth)}${s.service}: ${s.name}${status !== '' ? ` [${status}]` : ''}${s.links.length ? ` (links ${s.links.length})` : ''}`);
      walk(s.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}
