export { ensureJaeger, ensurePromtool, jaegerLocation, promtoolLocation, type ToolBinary } from './go-tools.ts';
export { jaegerConfig, startJaeger, type Jaeger, type JaegerOptions, type JaegerPorts } from './jaeger.ts';
export { fetchServices, fetchTrace, renderTrace, type StoredSpan } from './jaeger-query.ts';
