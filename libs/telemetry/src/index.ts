export { createLogger, isLogLevel, LOG_LEVELS, type Logger, type LoggerOptions } from './logger.ts';
export { Counter, createMetricsRegistry, Gauge, Histogram, metricsHandler, Registry } from './metrics.ts';
export { TRACE_CONTEXT_ANNOTATION, spanContextFromObject, traceContextAnnotation, withTraceContext } from './trace-context.ts';
export { otlpRequested, resourceAttributesFromEnv, setupTracing, type Tracing, type TracingOptions } from './tracing.ts';
// The SDK (samplers, span exporters) is `@agent-sandbox/telemetry/sdk`: loaded only where spans are exported.
