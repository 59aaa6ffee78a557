import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256 } from './blobs.ts';
import { buildImage, type ImageSpec } from './oci.ts';
import { readTar } from './tar.ts';
import { FileTree } from './tree.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'oci-test-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function spec(content = 'hello'): ImageSpec {
  return {
    repository: 'localhost:5001/agent-sandbox/test',
    tag: '0.1.0',
    layers: [
      { tree: new FileTree().file('etc/passwd', 'root:x:0:0::/:/sbin/nologin\n').dir('tmp', { mode: 0o1777 }), description: 'base' },
      { tree: new FileTree().file('usr/local/bin/app', content, { mode: 0o755 }), description: 'app' },
    ],
    config: { user: '65532:65532', entrypoint: ['/usr/local/bin/app'], env: { PATH: '/usr/local/bin' }, labels: { b: '2', a: '1' }, stopSignal: 'SIGTERM' },
  };
}

describe('buildImage', () => {
  it('gives the same digest for the same inputs, built from scratch in two places', async () => {
    const [a, b] = await Promise.all([buildImage(spec(), { cacheDir: await tempDir(), fresh: true }), buildImage(spec(), { cacheDir: await tempDir(), fresh: true })]);
    expect(a.digest).toBe(b.digest);
    expect(a.layers).toEqual(b.layers);
    const c = await buildImage(spec('hello!'), { cacheDir: await tempDir() });
    expect(c.digest).not.toBe(a.digest);
    expect(c.layers[0]).toEqual(a.layers[0]);
  });

  it('takes the file times and created time from the epoch given', async () => {
    const dir = await tempDir();
    const zero = await buildImage(spec(), { cacheDir: dir, epoch: 0 });
    const later = await buildImage(spec(), { cacheDir: dir, epoch: 1_700_000_000 });
    expect(later.digest).not.toBe(zero.digest);
    const config = JSON.parse((await later.blobs.get(later.configDigest)).toString()) as { created: string; history: { created: string }[] };
    expect(config.created).toBe('2023-11-14T22:13:20Z');
    const layer = readTar(gunzipSync(await later.blobs.get(later.layers[1]!.digest)));
    expect(layer.every((e) => e.mtime === 1_700_000_000)).toBe(true);
  });

  it('writes a valid OCI config, manifest and layout', async () => {
    const img = await buildImage(spec(), { cacheDir: await tempDir() });
    const manifest = JSON.parse((await img.blobs.get(img.digest)).toString()) as {
      mediaType: string;
      config: { digest: string; mediaType: string };
      layers: { digest: string; mediaType: string; size: number }[];
    };
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.config).toMatchObject({ digest: img.configDigest, mediaType: 'application/vnd.oci.image.config.v1+json' });
    expect(manifest.layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar+gzip']);
    const config = JSON.parse((await img.blobs.get(img.configDigest)).toString()) as {
      architecture: string;
      os: string;
      config: Record<string, unknown>;
      rootfs: { diff_ids: string[] };
    };
    expect(config).toMatchObject({ architecture: 'amd64', os: 'linux' });
    expect(config.config).toEqual({
      User: '65532:65532',
      Env: ['PATH=/usr/local/bin'],
      Entrypoint: ['/usr/local/bin/app'],
      Labels: { a: '1', b: '2' },
      StopSignal: 'SIGTERM',
    });
    // diff_ids are the digests of the uncompressed layers.
    for (const [i, l] of manifest.layers.entries()) {
      const blob = await readFile(join(img.ociLayout, 'blobs', 'sha256', l.digest.slice(7)));
      expect(sha256(blob)).toBe(l.digest);
      expect(blob.length).toBe(l.size);
      expect(sha256(gunzipSync(blob))).toBe(config.rootfs.diff_ids[i]);
    }
    expect(JSON.parse(await readFile(join(img.ociLayout, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(await readFile(join(img.ociLayout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    expect(index.manifests).toEqual([
      expect.objectContaining({
        digest: img.digest,
        annotations: { 'io.containerd.image.name': 'localhost:5001/agent-sandbox/test:0.1.0', 'org.opencontainers.image.ref.name': '0.1.0' },
      }),
    ]);
  });

  it('writes an archive with the OCI layout and Docker manifest.json naming the image', async () => {
    const img = await buildImage(spec(), { cacheDir: await tempDir() });
    const entries = readTar(await readFile(img.archive));
    const byPath = new Map(entries.map((e) => [e.path, e]));
    const dockerManifest = JSON.parse(byPath.get('manifest.json')!.data!.toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
    expect(dockerManifest).toEqual([
      { Config: `blobs/sha256/${img.configDigest.slice(7)}`, RepoTags: ['localhost:5001/agent-sandbox/test:0.1.0'], Layers: img.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`) },
    ]);
    for (const p of [...dockerManifest[0]!.Layers, dockerManifest[0]!.Config, `blobs/sha256/${img.digest.slice(7)}`]) {
      expect(sha256(byPath.get(p)!.data!)).toBe(`sha256:${p.split('/').pop()}`);
    }
    expect(byPath.has('index.json') && byPath.has('oci-layout')).toBe(true);
  });

  it('lets several builds of one image share a cache at once, and a changed image replaces the layout', async () => {
    const cacheDir = await tempDir();
    const built = await Promise.all([1, 2, 3, 4].map(() => buildImage(spec(), { cacheDir, fresh: true })));
    expect(new Set(built.map((b) => b.digest)).size).toBe(1);
    const changed = await buildImage(spec('changed'), { cacheDir });
    const index = JSON.parse(await readFile(join(changed.ociLayout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    expect(index.manifests[0]!.digest).toBe(changed.digest);
  });

  it('refuses a bad name, tag or user', async () => {
    const cacheDir = await tempDir();
    await expect(buildImage({ ...spec(), repository: 'Localhost/x' }, { cacheDir })).rejects.toThrow(/not a valid reference name/);
    await expect(buildImage({ ...spec(), tag: 'a b' }, { cacheDir })).rejects.toThrow(/not a valid tag/);
    await expect(buildImage({ ...spec(), config: { user: 'nonroot' } }, { cacheDir })).rejects.toThrow(/numeric uid/);
  });
});
