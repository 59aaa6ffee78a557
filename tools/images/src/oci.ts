import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore, gzip, sha256, writeAtomic, type Descriptor } from './blobs.ts';
import { imagesCacheDir, sourceDateEpoch } from './paths.ts';
import { entryBytes, type TarEntry } from './tar.ts';
import type { FileTree } from './tree.ts';

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** What the container runs and as whom: the `config` object of the OCI image configuration. */
export interface RunConfig {
  /** `uid:gid` (numeric: the image need not have /etc/passwd for it to work). */
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
  /** In the order given (PATH first, by convention). */
  env?: Record<string, string>;
  workingDir?: string;
  labels?: Record<string, string>;
  stopSignal?: string;
  /** e.g. `8080/tcp` */
  exposedPorts?: string[];
}

export interface LayerSpec {
  tree: FileTree;
  /** Recorded as the layer's history entry (`created_by`). */
  description: string;
}

export interface ImageSpec {
  /** Repository with its registry: `localhost:5001/agent-sandbox/pause`. */
  repository: string;
  tag: string;
  layers: LayerSpec[];
  config: RunConfig;
  architecture?: string;
}

export interface BuildOptions {
  /** Root of the image cache (default `<cache root>/images`). Blobs, layouts and archives live here. */
  cacheDir?: string;
  /**
   * Build every layer from scratch: tar, digest and compress even when a layer with the same
   * content was compressed before (the reproducibility test builds twice this way).
   */
  fresh?: boolean;
  /** File mtimes and the image's `created` time (default: SOURCE_DATE_EPOCH, else 0). */
  epoch?: number;
}

export interface BuiltLayer {
  /** Digest of the compressed blob (what the manifest lists and registries store). */
  digest: string;
  /** Digest of the uncompressed tar (the config's rootfs.diff_ids). */
  diffId: string;
  size: number;
  description: string;
}

export interface BuiltImage {
  /** `localhost:5001/agent-sandbox/pause:0.1.0` */
  ref: string;
  repository: string;
  tag: string;
  /** The manifest's digest: what a registry reports and what `image@digest` pins. */
  digest: string;
  /** The config's digest (the image ID in Docker and containerd). */
  configDigest: string;
  layers: BuiltLayer[];
  /** Compressed bytes: manifest + config + layers (what a pull transfers at most). */
  compressedSize: number;
  /** An OCI image layout folder (index.json names the tag). */
  ociLayout: string;
  /** A tar that `ctr -n k8s.io images import`, `kind load image-archive`, `docker load` and skopeo's `docker-archive:` read, keeping the name. */
  archive: string;
  /** The blob store the layout's blobs come from. */
  blobs: BlobStore;
}

export function imageRef(repository: string, tag: string): string {
  return `${repository}:${tag}`;
}

/** `localhost:5001/agent-sandbox/pause:0.1.0` → `localhost_5001_agent-sandbox_pause_0.1.0` */
export function refFileName(ref: string): string {
  return ref.replace(/[^A-Za-z0-9._-]/g, '_');
}

function isoTime(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

function sortedObject(o: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!o || Object.keys(o).length === 0) return undefined;
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The image configuration JSON, with keys in a fixed order. */
export function imageConfigJson(spec: ImageSpec, layers: BuiltLayer[], epoch: number): Buffer {
  const c = spec.config;
  const created = isoTime(epoch);
  const config: Record<string, unknown> = {};
  if (c.user) config.User = c.user;
  if (c.exposedPorts?.length) config.ExposedPorts = Object.fromEntries([...c.exposedPorts].sort().map((p) => [p, {}]));
  if (c.env && Object.keys(c.env).length) config.Env = Object.entries(c.env).map(([k, v]) => `${k}=${v}`);
  if (c.entrypoint) config.Entrypoint = c.entrypoint;
  if (c.cmd) config.Cmd = c.cmd;
  if (c.workingDir) config.WorkingDir = c.workingDir;
  const labels = sortedObject(c.labels);
  if (labels) config.Labels = labels;
  if (c.stopSignal) config.StopSignal = c.stopSignal;
  const doc = {
    created,
    architecture: spec.architecture ?? 'amd64',
    os: 'linux',
    config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l) => ({ created, created_by: l.description, comment: 'agent-sandbox tools/images' })),
  };
  return Buffer.from(JSON.stringify(doc));
}

export function manifestJson(config: Descriptor, layers: Descriptor[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
}

export function indexJson(images: { manifest: Descriptor; ref: string; tag: string }[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.index,
      manifests: images.map(({ manifest, ref, tag }) => ({
        mediaType: manifest.mediaType,
        digest: manifest.digest,
        size: manifest.size,
        // containerd takes the full name from the first, OCI tools the tag from the second.
        annotations: { 'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': tag },
      })),
    }),
  );
}

const OCI_LAYOUT = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));

/**
 * Turns one layer's tree into a compressed blob. The compressed digest of a tar seen before is
 * remembered (keyed by the tar's own digest), so a warm build only tars and hashes.
 */
async function buildLayer(layer: LayerSpec, store: BlobStore, cacheDir: string, epoch: number, fresh: boolean): Promise<BuiltLayer> {
  const tar = layer.tree.toTar(epoch);
  const diffId = sha256(tar);
  const memo = join(cacheDir, 'layers', diffId.replace(':', '_'));
  if (!fresh && existsSync(memo)) {
    const digest = (await readFile(memo, 'utf8')).trim();
    if (store.has(digest)) return { digest, diffId, size: await store.size(digest), description: layer.description };
  }
  const blob = await store.put(await gzip(tar), MEDIA_TYPES.layerGzip);
  await writeAtomic(memo, `${blob.digest}\n`);
  return { digest: blob.digest, diffId, size: blob.size, description: layer.description };
}

/** Builds an image into the blob store and writes its OCI layout and archive. */
export async function buildImage(spec: ImageSpec, opts: BuildOptions = {}): Promise<BuiltImage> {
  validateSpec(spec);
  const cacheDir = opts.cacheDir ?? imagesCacheDir();
  const epoch = opts.epoch ?? sourceDateEpoch();
  const store = new BlobStore(join(cacheDir, 'blobs'));
  const layers: BuiltLayer[] = [];
  for (const l of spec.layers) layers.push(await buildLayer(l, store, cacheDir, epoch, opts.fresh ?? false));
  const config = await store.put(imageConfigJson(spec, layers, epoch), MEDIA_TYPES.config);
  const layerDescs = layers.map((l) => ({ mediaType: MEDIA_TYPES.layerGzip, digest: l.digest, size: l.size }));
  const manifest = await store.put(manifestJson(config, layerDescs), MEDIA_TYPES.manifest);
  const ref = imageRef(spec.repository, spec.tag);
  const name = refFileName(ref);

  const ociLayout = join(cacheDir, 'oci', name);
  await writeLayout(ociLayout, store, [config.digest, ...layers.map((l) => l.digest), manifest.digest], indexJson([{ manifest, ref, tag: spec.tag }]));
  const archive = join(cacheDir, 'archives', `${name}.tar`);
  await writeArchive(archive, [{ ref, tag: spec.tag, config, layers: layerDescs, manifest, store }]);

  return {
    ref,
    repository: spec.repository,
    tag: spec.tag,
    digest: manifest.digest,
    configDigest: config.digest,
    layers,
    compressedSize: manifest.size + config.size + layers.reduce((n, l) => n + l.size, 0),
    ociLayout,
    archive,
    blobs: store,
  };
}

function validateSpec(spec: ImageSpec): void {
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*$/.test(spec.repository)) {
    throw new Error(`image repository ${JSON.stringify(spec.repository)} is not a valid reference name (lower case, host[:port]/path)`);
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(spec.tag)) throw new Error(`image tag ${JSON.stringify(spec.tag)} is not a valid tag`);
  if (spec.layers.length === 0) throw new Error(`image ${spec.repository}: at least one layer is needed`);
  const user = spec.config.user;
  if (user !== undefined && !/^\d+(:\d+)?$/.test(user)) throw new Error(`image ${spec.repository}: config.user must be numeric uid[:gid], got ${JSON.stringify(user)}`);
}

/**
 * A fresh OCI image layout holding exactly these blobs (hard-linked from the store). Safe when
 * several processes build the same image at once: a layout already naming the same manifest is
 * left as it is; another one is replaced.
 */
async function writeLayout(dir: string, store: BlobStore, digests: string[], index: Buffer): Promise<void> {
  const current = async () => readFile(join(dir, 'index.json')).catch(() => undefined);
  if ((await current())?.equals(index)) return;
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const target = new BlobStore(join(tmp, 'blobs'));
  await mkdir(join(tmp, 'blobs', 'sha256'), { recursive: true });
  for (const d of digests) await store.copyTo(target, d);
  await writeFile(join(tmp, 'oci-layout'), OCI_LAYOUT);
  await writeFile(join(tmp, 'index.json'), index);
  await mkdir(join(dir, '..'), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(tmp, dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= 5) throw err;
      // Another build got there first: keep theirs if it is this image, else replace it.
      if ((await current())?.equals(index)) {
        await rm(tmp, { recursive: true, force: true });
        return;
      }
      const old = `${dir}.old-${process.pid}-${Math.random().toString(36).slice(2)}`;
      await rename(dir, old).catch(() => {});
      await rm(old, { recursive: true, force: true });
    }
  }
}

interface ArchiveImage {
  ref: string;
  tag: string;
  config: Descriptor;
  layers: Descriptor[];
  manifest: Descriptor;
  store: BlobStore;
}

/**
 * One archive holding several built images, each blob once: one `ctr -n k8s.io images import`
 * (or `kind load image-archive`) loads them all under their names.
 */
export async function writeImagesArchive(images: BuiltImage[], path: string): Promise<void> {
  const entries: ArchiveImage[] = [];
  for (const img of images) {
    const manifestBytes = await img.blobs.get(img.digest);
    const doc = JSON.parse(manifestBytes.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
    entries.push({
      ref: img.ref,
      tag: img.tag,
      config: doc.config,
      layers: doc.layers,
      manifest: { mediaType: MEDIA_TYPES.manifest, digest: img.digest, size: manifestBytes.length },
      store: img.blobs,
    });
  }
  await writeArchive(path, entries);
}

/**
 * The archive: an OCI image layout (what containerd imports, with the name from index.json's
 * `io.containerd.image.name`, and our manifest digest unchanged) plus Docker's `manifest.json`
 * with RepoTags (what `docker load` before 25 and skopeo's `docker-archive:` read). The same
 * shape `docker save` writes since Docker 25.
 */
async function writeArchive(path: string, images: ArchiveImage[]): Promise<void> {
  const blobPath = (d: string) => `blobs/sha256/${d.slice('sha256:'.length)}`;
  const dockerManifest = Buffer.from(
    JSON.stringify(images.map((img) => ({ Config: blobPath(img.config.digest), RepoTags: [img.ref], Layers: img.layers.map((l) => blobPath(l.digest)) }))),
  );
  const small = (p: string, data: Buffer): TarEntry => ({ type: 'file', path: p, mode: 0o644, uid: 0, gid: 0, mtime: 0, data });
  const owner = new Map<string, BlobStore>();
  for (const img of images) for (const d of [img.config.digest, ...img.layers.map((l) => l.digest), img.manifest.digest]) owner.set(d, img.store);
  await mkdir(join(path, '..'), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const fh = await open(tmp, 'w');
  try {
    const write = async (e: TarEntry) => {
      for (const chunk of entryBytes(e)) await fh.write(chunk);
    };
    await write({ type: 'dir', path: 'blobs', mode: 0o755, uid: 0, gid: 0, mtime: 0 });
    await write({ type: 'dir', path: 'blobs/sha256', mode: 0o755, uid: 0, gid: 0, mtime: 0 });
    for (const d of [...owner.keys()].sort()) await write(small(blobPath(d), await owner.get(d)!.get(d)));
    await write(small('index.json', indexJson(images)));
    await write(small('manifest.json', dockerManifest));
    await write(small('oci-layout', OCI_LAYOUT));
    await fh.write(Buffer.alloc(1024, 0));
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}
