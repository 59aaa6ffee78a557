export { parseBindAddress, type BindAddress } from './program/bind-address.ts';
export {
  envName,
  FlagError,
  formatDuration,
  parseDuration,
  parseFlags,
  renderHelp,
  type FlagDef,
  type FlagSpecs,
  type FlagValues,
} from './program/flags.ts';
export { HealthServer, type ReadinessCheck, type RouteHandler } from './program/health-server.ts';
export {
  commonFlags,
  runProgram,
  type CommonFlags,
  type ProgramContext,
  type ProgramIO,
  type ProgramSpec,
  type StopFn,
} from './program/program.ts';
