import { describe, expect, it } from 'vitest';
import { readTar } from './tar.ts';
import { FileTree, normalizeImagePath, resolveLinkTarget } from './tree.ts';

describe('FileTree', () => {
  it('adds every parent directory, root-owned 0755, and lists paths parents first', () => {
    const t = new FileTree().file('/usr/local/bin/node', 'x', { mode: 0o755 }).file('app/a-b', 'y').file('app/a/b', 'z');
    expect(t.paths()).toEqual(['app', 'app/a', 'app/a-b', 'app/a/b', 'usr', 'usr/local', 'usr/local/bin', 'usr/local/bin/node']);
    expect(t.get('usr/local')).toEqual({ type: 'dir', mode: 0o755, uid: 0, gid: 0 });
  });

  it('gives the same tar whatever order things were added in', () => {
    const a = new FileTree().file('b/x', '1').dir('tmp', { mode: 0o1777 }).symlink('a/l', '../b/x');
    const b = new FileTree().symlink('a/l', '../b/x').dir('tmp', { mode: 0o1777 }).file('b/x', '1');
    expect(a.toTar(0).equals(b.toTar(0))).toBe(true);
    expect(a.toTar(0).equals(a.toTar(1))).toBe(false);
    expect(readTar(a.toTar(5)).every((e) => e.mtime === 5)).toBe(true);
  });

  it('rewrites absolute symlinks relative to the link, and refuses links that climb out of the root', () => {
    const t = new FileTree().symlink('lib64/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2').symlink('etc/localtime', '/usr/share/zoneinfo/Etc/UTC');
    expect(t.get('lib64/ld-linux-x86-64.so.2')).toMatchObject({ type: 'symlink', target: '../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' });
    expect(t.get('etc/localtime')).toMatchObject({ target: '../usr/share/zoneinfo/Etc/UTC' });
    expect(() => new FileTree().symlink('etc/x', '../../etc/passwd')).toThrow(/outside the image root/);
    expect(resolveLinkTarget('a/b/c', '../../d')).toBe('d');
    expect(resolveLinkTarget('a/b/c', '../../../d')).toBeUndefined();
    expect(resolveLinkTarget('a/b', '/x/../y')).toBe('y');
  });

  it('refuses paths with .. and the root itself', () => {
    expect(() => normalizeImagePath('usr/../etc/passwd')).toThrow(/'\.\.'/);
    expect(() => normalizeImagePath('/')).toThrow(/root/);
    expect(normalizeImagePath('//usr/./bin/')).toBe('usr/bin');
  });

  it('merges directories, accepts identical files, and names a conflicting one', () => {
    const a = new FileTree().file('usr/share/doc/x/copyright', 'c').file('etc/issue', 'Debian');
    const b = new FileTree().file('usr/share/doc/y/copyright', 'c').file('etc/issue', 'Debian');
    expect(new FileTree().merge(a).merge(b).paths()).toContain('usr/share/doc/y/copyright');
    const c = new FileTree().file('etc/issue', 'Other');
    expect(() => new FileTree().merge(a).merge(c, { what: 'package c' })).toThrow(/package c: etc\/issue is already in the image/);
    expect(new FileTree().merge(a).merge(c, { overwrite: true }).get('etc/issue')).toMatchObject({ data: Buffer.from('Other') });
  });

  it('refuses a file under a path that is not a directory', () => {
    expect(() => new FileTree().file('a', '1').file('a/b', '2')).toThrow(/parent a is a file/);
  });
});
