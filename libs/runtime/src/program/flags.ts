/**
 * Command-line flags with environment-variable fallbacks, typed from one declaration.
 * Precedence: `--flag` on the command line, then the environment variable, then the default.
 */

export interface StringFlag {
  kind: 'string';
  help: string;
  default: string;
  choices?: readonly string[];
}
export interface BooleanFlag {
  kind: 'boolean';
  help: string;
  default: boolean;
}
export interface IntegerFlag {
  kind: 'integer';
  help: string;
  default: number;
  min?: number;
}
/** A duration written as `250ms`, `30s`, `5m` or `1h`; its value is milliseconds. */
export interface DurationFlag {
  kind: 'duration';
  help: string;
  default: number;
}
export type FlagDef = StringFlag | BooleanFlag | IntegerFlag | DurationFlag;
export type FlagSpecs = Record<string, FlagDef>;

export type FlagValues<S extends FlagSpecs> = {
  readonly [K in keyof S]: S[K] extends BooleanFlag ? boolean : S[K] extends StringFlag ? string : number;
};

/** Bad flags: the message names the flag and the rule; programs exit 2 on it. */
export class FlagError extends Error {
  override name = 'FlagError';
}

export type ParseResult<S extends FlagSpecs> =
  | { kind: 'run'; values: FlagValues<S> }
  | { kind: 'help' }
  | { kind: 'version' };

/** `leader-elect` → `LEADER_ELECT`. */
export function envName(flag: string): string {
  return flag.replaceAll('-', '_').toUpperCase();
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2]!]!);
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function convert(name: string, def: FlagDef, raw: string, source: string): string | number | boolean {
  const where = source === 'flag' ? `--${name}` : `${envName(name)} (for --${name})`;
  switch (def.kind) {
    case 'string':
      if (def.choices && !def.choices.includes(raw)) {
        throw new FlagError(`${where}: must be one of ${def.choices.join(', ')}; got "${raw}"`);
      }
      return raw;
    case 'boolean':
      if (raw === 'true' || raw === '1' || raw === '') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new FlagError(`${where}: must be true or false; got "${raw}"`);
    case 'integer': {
      const n = Number(raw);
      if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) {
        throw new FlagError(`${where}: must be a whole number; got "${raw}"`);
      }
      if (def.min !== undefined && n < def.min) throw new FlagError(`${where}: must be at least ${def.min}; got ${n}`);
      return n;
    }
    case 'duration': {
      const ms = parseDuration(raw);
      if (ms === undefined) throw new FlagError(`${where}: must be a duration such as 500ms, 30s, 5m or 1h; got "${raw}"`);
      return ms;
    }
  }
}

/** Parses `argv` (without node and script) against `specs`; `env` supplies fallbacks. */
export function parseFlags<S extends FlagSpecs>(
  specs: S,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParseResult<S> {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--version') return { kind: 'version' };
    if (!arg.startsWith('--')) throw new FlagError(`unexpected argument "${arg}": this program takes only --flags (see --help)`);
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    let def = specs[name];
    if (!def && value === undefined && name.startsWith('no-') && specs[name.slice(3)]?.kind === 'boolean') {
      name = name.slice(3);
      def = specs[name];
      value = 'false';
    }
    if (!def) throw new FlagError(`unknown flag --${name} (see --help)`);
    if (value === undefined) {
      if (def.kind === 'boolean') value = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new FlagError(`--${name}: needs a value`);
        value = next;
        i++;
      }
    }
    given.set(name, value);
  }

  const values: Record<string, string | number | boolean> = {};
  for (const [name, def] of Object.entries(specs)) {
    const fromFlag = given.get(name);
    const fromEnv = env[envName(name)];
    if (fromFlag !== undefined) values[name] = convert(name, def, fromFlag, 'flag');
    else if (fromEnv !== undefined && fromEnv !== '') values[name] = convert(name, def, fromEnv, 'env');
    else values[name] = def.default;
  }
  return { kind: 'run', values: values as FlagValues<S> };
}

/** The `--help` text: usage, summary, then every flag with its variable and default. */
export function renderHelp(program: string, summary: string, specs: FlagSpecs): string {
  const lines = [`Usage: ${program} [flags]`, '', summary, '', 'Flags (each also read from the environment variable shown):'];
  const rows = Object.entries(specs).map(([name, def]) => {
    const placeholder = def.kind === 'boolean' ? '' : def.kind === 'duration' ? ' duration' : def.kind === 'integer' ? ' int' : ' string';
    const shown =
      def.kind === 'duration' ? formatDuration(def.default) : def.kind === 'string' ? JSON.stringify(def.default) : String(def.default);
    const choices = def.kind === 'string' && def.choices ? ` (one of: ${def.choices.join(', ')})` : '';
    return { head: `  --${name}${placeholder}`, body: `${def.help}${choices} [env ${envName(name)}; default ${shown}]` };
  });
  rows.push({ head: '  --help', body: 'Print this help and exit.' }, { head: '  --version', body: 'Print the version and exit.' });
  const width = Math.max(...rows.map((r) => r.head.length)) + 2;
  for (const row of rows) lines.push(row.head.padEnd(width) + row.body);
  return lines.join('\n') + '\n';
}
