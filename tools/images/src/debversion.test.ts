import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareDebianVersions, satisfies } from './debversion.ts';

describe('Debian version order', () => {
  it.each([
    ['2.36-9+deb12u14', '2.36-9+deb12u7', 1],
    ['1.0~rc1', '1.0', -1],
    ['1.0~~', '1.0~', -1],
    ['1.0', '1.0-0', 0],
    ['1:0.1', '2.0', 1],
    ['1.0a', '1.0', 1],
    ['1.0+b1', '1.0', 1],
    ['1.0.1', '1.0a', 1],
    ['20250419~deb12u2', '20250419', -1],
    ['12.2.0-14+deb12u1', '12.2.0-14', 1],
    ['1.001', '1.1', 0],
    ['2026f-0+deb12u1', '2026a-0+deb12u1', 1],
  ])('%s vs %s → %i', (a, b, want) => {
    expect(compareDebianVersions(a, b)).toBe(want);
    expect(compareDebianVersions(b, a)).toBe(-want || 0);
  });

  it('is a total order', () => {
    const version = fc
      .tuple(fc.nat(3), fc.stringMatching(/^[0-9][0-9a-z.+~]{0,6}$/), fc.option(fc.stringMatching(/^[0-9a-z.+~]{1,5}$/), { nil: undefined }))
      .map(([e, up, rev]) => `${e ? `${e}:` : ''}${up}${rev ? `-${rev}` : ''}`);
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(Math.sign(compareDebianVersions(a, b))).toBe(-Math.sign(compareDebianVersions(b, a)) || 0);
        if (compareDebianVersions(a, b) <= 0 && compareDebianVersions(b, c) <= 0) expect(compareDebianVersions(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });

  it('checks dependency relations', () => {
    expect(satisfies('2.36-9+deb12u14', '>=', '2.35')).toBe(true);
    expect(satisfies('12.2.0-14+deb12u1', '=', '12.2.0-14+deb12u1')).toBe(true);
    expect(satisfies('1.0', '<<', '1.0')).toBe(false);
    expect(satisfies('1.0', '>>', '1.0~rc1')).toBe(true);
  });
});
