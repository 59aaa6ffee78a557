/**
 * `@agent-sandbox/runtime/program`: the program conventions alone (flags, JSON logs, health
 * endpoints, lifecycle), for programs that talk to no API server. Importing it loads no
 * Kubernetes client, so a self-contained bundle of such a program stays small.
 */
export { listenOn, parseBindAddress, type BindAddress } from './bind-address.ts';
export { envName, FlagError, formatDuration, parseDuration, parseFlags, renderHelp, type FlagDef, type FlagSpecs, type FlagValues } from './flags.ts';
export { HealthServer, type ReadinessCheck, type RouteHandler } from './health-server.ts';
export { commonFlags, runProgram, type CommonFlags, type ProgramContext, type ProgramIO, type ProgramSpec, type StopFn } from './program.ts';
