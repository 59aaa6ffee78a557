import { describe, expect, it } from 'vitest';
import { FlagError, parseDuration, parseFlags, renderHelp, type FlagSpecs } from './flags.ts';

const specs = {
  workers: { kind: 'integer', help: 'Concurrent reconciles.', default: 4, min: 1 },
  'leader-elect': { kind: 'boolean', help: 'Use a Lease.', default: false },
  'log-level': { kind: 'string', help: 'Level.', default: 'info', choices: ['debug', 'info'] },
  'resync-period': { kind: 'duration', help: 'Resync.', default: 600_000 },
} as const satisfies FlagSpecs;

function run(argv: string[], env: Record<string, string> = {}) {
  const result = parseFlags(specs, argv, env);
  if (result.kind !== 'run') throw new Error(`expected run, got ${result.kind}`);
  return result.values;
}

describe('parseFlags', () => {
  it('uses defaults when nothing is given', () => {
    expect(run([])).toEqual({ workers: 4, 'leader-elect': false, 'log-level': 'info', 'resync-period': 600_000 });
  });

  it('takes --flag=value, --flag value, bare booleans and --no-booleans', () => {
    expect(run(['--workers=8', '--log-level', 'debug', '--leader-elect', '--resync-period=1m'])).toMatchObject({
      workers: 8,
      'log-level': 'debug',
      'leader-elect': true,
      'resync-period': 60_000,
    });
    expect(run(['--leader-elect', '--no-leader-elect'])['leader-elect']).toBe(false);
  });

  it('falls back to the environment, and a flag beats the environment', () => {
    expect(run([], { WORKERS: '16', LEADER_ELECT: 'true' })).toMatchObject({ workers: 16, 'leader-elect': true });
    expect(run(['--workers=2'], { WORKERS: '16' }).workers).toBe(2);
  });

  it('names the flag and the rule when a value is bad', () => {
    expect(() => run(['--workers=0'])).toThrow(new FlagError('--workers: must be at least 1; got 0'));
    expect(() => run(['--workers=abc'])).toThrow(/--workers: must be a whole number; got "abc"/);
    expect(() => run([], { WORKERS: '1.5' })).toThrow(/WORKERS \(for --workers\): must be a whole number/);
    expect(() => run(['--log-level=loud'])).toThrow(/--log-level: must be one of debug, info; got "loud"/);
    expect(() => run(['--resync-period=soon'])).toThrow(/--resync-period: must be a duration/);
    expect(() => run(['--leader-elect=maybe'])).toThrow(/--leader-elect: must be true or false/);
    expect(() => run(['--nope'])).toThrow(/unknown flag --nope/);
    expect(() => run(['--workers'])).toThrow(/--workers: needs a value/);
    expect(() => run(['stray'])).toThrow(/unexpected argument "stray"/);
  });

  it('recognises --help and --version anywhere', () => {
    expect(parseFlags(specs, ['--workers=2', '--help'], {}).kind).toBe('help');
    expect(parseFlags(specs, ['-h'], {}).kind).toBe('help');
    expect(parseFlags(specs, ['--version'], {}).kind).toBe('version');
  });
});

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['2h', 7_200_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '5', 's', '-1s', '1d'])('refuses %j', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('renderHelp', () => {
  it('lists every flag with its environment variable and default', () => {
    const help = renderHelp('demo', 'Does a thing.', specs);
    expect(help).toMatch(/^Usage: demo \[flags\]\n\nDoes a thing\./);
    expect(help).toMatch(/--workers int\s+Concurrent reconciles\. \[env WORKERS; default 4\]/);
    expect(help).toMatch(/--leader-elect\s+Use a Lease\. \[env LEADER_ELECT; default false\]/);
    expect(help).toMatch(/--log-level string\s+Level\. \(one of: debug, info\) \[env LOG_LEVEL; default "info"\]/);
    expect(help).toMatch(/--resync-period duration\s+Resync\. \[env RESYNC_PERIOD; default 10m\]/);
    expect(help).toContain('--help');
  });
});
