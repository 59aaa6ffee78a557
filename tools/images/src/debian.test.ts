import { describe, expect, it } from 'vitest';
import { candidateFromStanza, closure, droppedFromImage, parseControl, parseDependsField, readLock, resolve, type CandidateInfo } from './debian.ts';
import { DEBIAN_EXCLUDED, requestedDebianPackages } from './recipes.ts';

const APT_CACHE_SHOW = `Package: libstdc++6
Source: gcc-12
Version: 12.2.0-14+deb12u1
Architecture: amd64
Depends: gcc-12-base (= 12.2.0-14+deb12u1), libc6 (>= 2.36), libgcc-s1 (>= 4.2)
Filename: pool/main/g/gcc-12/libstdc++6_12.2.0-14+deb12u1_amd64.deb
Size: 612604
SHA256: 5cd3171216d4ab0fc911cfe9c35509bf2dd8f47761c43b7f6a4296701551a24d
Description: GNU Standard C++ Library v3
 This package contains an additional runtime library for C++ programs
 built with the GNU compiler.

`;

function candidate(name: string, version: string, depends = ''): CandidateInfo {
  return { name, version, architecture: 'amd64', sha256: 'a'.repeat(64), size: 1, filename: `pool/${name}.deb`, source: name, depends: parseDependsField(depends) };
}

describe('Debian control data', () => {
  it('parses apt-cache output, continuation lines included', () => {
    const [s] = parseControl(APT_CACHE_SHOW);
    expect(s!.get('Description')).toContain('\n This package contains');
    const c = candidateFromStanza(s!);
    expect(c).toMatchObject({ name: 'libstdc++6', version: '12.2.0-14+deb12u1', source: 'gcc-12', size: 612604 });
    expect(c.depends.map((g) => g.map((a) => a.name))).toEqual([['gcc-12-base'], ['libc6'], ['libgcc-s1']]);
  });

  it('parses alternatives, relations, architecture qualifiers and obsolete relations', () => {
    expect(parseDependsField('debconf (>= 0.5) | debconf-2.0, python3:any (<< 3.12), libfoo (> 1) [amd64]')).toEqual([
      [{ name: 'debconf', relation: '>=', version: '0.5' }, { name: 'debconf-2.0' }],
      [{ name: 'python3', archQualifier: 'any', relation: '<<', version: '3.12' }],
      [{ name: 'libfoo', relation: '>=', version: '1' }],
    ]);
    expect(() => parseDependsField('Bad Name')).toThrow(/cannot parse dependency/);
  });
});

describe('resolving the lock', () => {
  const archive = new Map(
    [
      candidate('libc6', '2.36-9', 'libgcc-s1'),
      candidate('libgcc-s1', '12.2.0-14', 'gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)'),
      candidate('gcc-12-base', '12.2.0-14'),
      candidate('ca-certificates', '20250419', 'openssl (>= 1.1.1), debconf (>= 0.5) | debconf-2.0'),
      candidate('openssl', '3.0.15', 'libssl3'),
      candidate('tzdata', '2026f', 'debconf (>= 0.5) | debconf-2.0'),
      candidate('needs-new-libc', '1', 'libc6 (>= 2.40)'),
      candidate('needs-virtual', '1', 'mail-transport-agent'),
    ].map((c) => [c.name, c]),
  );
  const lookup = async (names: string[]) => new Map(names.filter((n) => archive.has(n)).map((n) => [n, archive.get(n)!]));

  it('follows run-time dependencies and leaves excluded ones out', async () => {
    const locked = await resolve(['ca-certificates', 'libc6', 'tzdata'], { openssl: 'maintainer scripts', debconf: 'x', 'debconf-2.0': 'x' }, lookup);
    expect(locked.map((p) => p.name)).toEqual(['ca-certificates', 'gcc-12-base', 'libc6', 'libgcc-s1', 'tzdata']);
    expect(locked.find((p) => p.name === 'libgcc-s1')!.depends).toEqual(['gcc-12-base', 'libc6']);
    expect(locked.find((p) => p.name === 'ca-certificates')!.depends).toEqual([]);
  });

  it('says which constraint the candidates cannot meet', async () => {
    await expect(resolve(['needs-new-libc'], {}, lookup)).rejects.toThrow(/needs-new-libc needs libc6 \(>= 2.40\) but the candidate is 2.36-9/);
  });

  it('refuses a dependency only a virtual package satisfies, and unknown names', async () => {
    await expect(resolve(['needs-virtual'], {}, lookup)).rejects.toThrow(/needs mail-transport-agent, and none is a real package/);
    await expect(resolve(['no-such-package'], {}, lookup)).rejects.toThrow(/no installable Debian package named no-such-package/);
  });
});

describe('the checked-in lock', () => {
  it('pins exactly what the recipes ask for, with every dependency locked too', async () => {
    const lock = await readLock();
    expect(lock.requested).toEqual(requestedDebianPackages());
    expect(lock.excluded).toEqual(Object.fromEntries(Object.entries(DEBIAN_EXCLUDED).sort(([a], [b]) => (a < b ? -1 : 1))));
    const names = new Set(lock.packages.map((p) => p.name));
    for (const p of lock.packages) {
      expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
      for (const d of p.depends) expect(names, `${p.name} depends on ${d}`).toContain(d);
    }
    expect(closure(lock, ['libstdc++6']).map((p) => p.name)).toEqual(['gcc-12-base', 'libc6', 'libgcc-s1', 'libstdc++6']);
    expect(() => closure(lock, ['no-such-package-in-the-lock'])).toThrow(/not in .*debian\.lock\.json: run `npm run images -- lock`/);
  });
});

describe('what an image leaves out of a package', () => {
  it.each([
    ['usr/share/man/man1/x.1.gz', true],
    ['usr/share/doc/libc6/changelog.Debian.gz', true],
    ['usr/share/doc/libc6/copyright', false],
    ['usr/share/doc/libc6', false],
    ['usr/share/lintian/overrides/libc6', true],
    ['usr/lib/x86_64-linux-gnu/libc.so.6', false],
  ])('%s → %s', (path, dropped) => expect(droppedFromImage(path)).toBe(dropped));
});
