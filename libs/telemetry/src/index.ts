export { createLogger, isLogLevel, LOG_LEVELS, type Logger, type LoggerOptions } from './logger.ts';
