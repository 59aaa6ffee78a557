/**
 * Debian version comparison (Debian Policy §5.6.12), as dpkg --compare-versions does it:
 * epoch numerically, then upstream version and revision each by the dpkg string order, where
 * `~` sorts before everything (even the end of the string), letters before other characters,
 * and runs of digits compare as numbers.
 */

interface Parsed {
  epoch: number;
  upstream: string;
  revision: string;
}

export function parseDebianVersion(version: string): Parsed {
  const v = version.trim();
  if (v === '') throw new Error('empty Debian version');
  const colon = v.indexOf(':');
  let epoch = 0;
  let rest = v;
  if (colon !== -1) {
    const e = v.slice(0, colon);
    if (!/^\d+$/.test(e)) throw new Error(`Debian version ${JSON.stringify(version)}: epoch must be a number`);
    epoch = Number(e);
    rest = v.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash === -1 ? rest : rest.slice(0, dash);
  const revision = dash === -1 ? '' : rest.slice(dash + 1);
  if (!/^[0-9]/.test(upstream)) throw new Error(`Debian version ${JSON.stringify(version)}: the upstream version must start with a digit`);
  return { epoch, upstream, revision };
}

function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[0-9]/.test(c)) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !/[0-9]/.test(a[i]!)) || (j < b.length && !/[0-9]/.test(b[j]!))) {
      const ac = i < a.length && !/[0-9]/.test(a[i]!) ? a[i] : undefined;
      const bc = j < b.length && !/[0-9]/.test(b[j]!) ? b[j] : undefined;
      const diff = order(ac) - order(bc);
      if (diff !== 0) return Math.sign(diff);
      if (ac !== undefined) i++;
      if (bc !== undefined) j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (i < a.length && /[0-9]/.test(a[i]!) && j < b.length && /[0-9]/.test(b[j]!)) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && /[0-9]/.test(a[i]!)) return 1;
    if (j < b.length && /[0-9]/.test(b[j]!)) return -1;
    if (firstDiff !== 0) return Math.sign(firstDiff);
  }
  return 0;
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareDebianVersions(a: string, b: string): number {
  const pa = parseDebianVersion(a);
  const pb = parseDebianVersion(b);
  if (pa.epoch !== pb.epoch) return Math.sign(pa.epoch - pb.epoch);
  return compareFragment(pa.upstream, pb.upstream) || compareFragment(pa.revision, pb.revision);
}

export type Relation = '<<' | '<=' | '=' | '>=' | '>>';

/** Does `version` satisfy `relation constraint` (as in `libc6 (>= 2.36)`)? */
export function satisfies(version: string, relation: Relation, constraint: string): boolean {
  const c = compareDebianVersions(version, constraint);
  switch (relation) {
    case '<<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '=':
      return c === 0;
    case '>=':
      return c >= 0;
    case '>>':
      return c > 0;
  }
}
