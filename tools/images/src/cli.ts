import { parseArgs } from 'node:util';
import { generateLock, lockText, readLock } from './debian.ts';
import { writeAtomic } from './blobs.ts';
import { resolve } from 'node:path';
import { writeImagesArchive, type BuiltImage } from './oci.ts';
import { DEBIAN_LOCK_FILE, DEFAULT_REGISTRY, DEFAULT_REPOSITORY_PREFIX, imagesCacheDir, workspaceVersion } from './paths.ts';
import { buildRecipe, DEBIAN_EXCLUDED, RECIPES, recipe, requestedDebianPackages } from './recipes.ts';
import { startLocalRegistry } from './local-registry.ts';
import { pushImage, retarget } from './registry.ts';

const HELP = `Usage: npm run images -- [name…] [flags]
       npm run images -- lock
       npm run images -- list
       npm run images -- registry [--port 5001] [--data folder]

Builds the project's OCI images (all, or the named ones) without a daemon or a registry, into
${imagesCacheDir()}: an OCI image layout (oci/<ref>/) and an archive for
\`ctr -n k8s.io images import\`, \`kind load image-archive\` or \`docker load\` (archives/<ref>.tar).
Same inputs, same digests. Prints name, digest and compressed size of each.

Images: ${RECIPES.map((r) => r.name).join(', ')}

Flags:
  --tag string        image tag (default: the workspace version, ${workspaceVersion()})
  --prefix string     registry and path the images are named under (default ${DEFAULT_REGISTRY}/${DEFAULT_REPOSITORY_PREFIX})
  --push registry     then push each image to this registry (host[:port][/path]); the name becomes
                      <registry>/${DEFAULT_REPOSITORY_PREFIX}/<image>:<tag>. Credentials: AGENT_SANDBOX_REGISTRY_USERNAME and
                      AGENT_SANDBOX_REGISTRY_PASSWORD, else ~/.docker/config.json (auths). Loopback registries use HTTP
  --insecure          use plain HTTP for a registry that is not on loopback
  --archive file      also write one archive holding all the images built (each layer once), for a
                      single \`ctr -n k8s.io images import\` or \`kind load image-archive\`
  --fresh             compress every layer again instead of reusing layers built before
  --json              print one JSON object per image instead of the table
  -h, --help

Commands:
  lock    resolve the Debian packages the recipes ask for (and their dependencies) with apt, and
          rewrite ${DEBIAN_LOCK_FILE}
  list    the image names
  registry  run a registry (CNCF Distribution, built from tools/images/go/registry) on
          127.0.0.1:<port> until Ctrl-C, storing blobs in --data (default: a temporary folder)

Environment: AGENT_SANDBOX_CACHE (cache root), SOURCE_DATE_EPOCH (file and image times; default 0).
`;

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

async function lock(): Promise<void> {
  const before = await readLock().catch(() => undefined);
  const next = await generateLock(requestedDebianPackages(), DEBIAN_EXCLUDED);
  await writeAtomic(DEBIAN_LOCK_FILE, lockText(next));
  const old = new Map(before?.packages.map((p) => [p.name, p.version]));
  for (const p of next.packages) {
    const was = old.get(p.name);
    console.log(`${p.name} ${p.version}${was === undefined ? ' (new)' : was !== p.version ? ` (was ${was})` : ''}`);
  }
  for (const name of old.keys()) if (!next.packages.some((p) => p.name === name)) console.log(`${name} (removed)`);
  console.log(`wrote ${DEBIAN_LOCK_FILE}`);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      tag: { type: 'string' },
      prefix: { type: 'string' },
      push: { type: 'string' },
      archive: { type: 'string' },
      insecure: { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      port: { type: 'string' },
      data: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals[0] === 'lock') return lock();
  if (positionals[0] === 'registry') {
    const port = values.port === undefined ? 5001 : Number(values.port);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`--port must be a TCP port, got ${values.port}`);
    const registry = await startLocalRegistry({ port, ...(values.data ? { dataDir: values.data } : {}) });
    console.log(`registry listening on ${registry.url} (data: ${registry.dataDir}); Ctrl-C stops it`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await registry.stop();
    return;
  }
  if (positionals[0] === 'list') {
    for (const r of RECIPES) console.log(`${r.name}\t${r.description}`);
    return;
  }
  const chosen = positionals.length > 0 ? positionals.map(recipe) : [...RECIPES];
  const ctx = {
    ...(values.tag ? { tag: values.tag } : {}),
    ...(values.prefix ? { repositoryPrefix: values.prefix.replace(/\/+$/, '') } : {}),
    build: { fresh: values.fresh },
  };
  const built: BuiltImage[] = [];
  const width = Math.max(...chosen.map((r) => r.name.length));
  for (const r of chosen) {
    const started = Date.now();
    const img = await buildRecipe(r, ctx);
    built.push(img);
    const seconds = (Date.now() - started) / 1000;
    if (values.json) {
      console.log(JSON.stringify({ name: r.name, ref: img.ref, digest: img.digest, compressedSize: img.compressedSize, seconds, archive: img.archive, ociLayout: img.ociLayout }));
    } else {
      console.log(`${r.name.padEnd(width)}  ${img.digest}  ${mb(img.compressedSize).padStart(8)}  ${seconds.toFixed(1)} s  ${img.ref}`);
    }
  }
  if (!values.json) console.log(`archives: ${imagesCacheDir()}/archives/`);
  if (values.archive) {
    const file = resolve(values.archive);
    await writeImagesArchive(built, file);
    console.log(`wrote ${file} (${built.map((b) => b.ref).join(', ')})`);
  }
  if (values.push) {
    for (const img of built) {
      const ref = retarget(img.ref, values.push);
      const started = Date.now();
      const res = await pushImage(img, ref, { insecure: values.insecure });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`pushed ${ref}@${res.digest} (${res.uploaded} blobs uploaded, ${res.mounted} mounted, ${res.present} already there; ${seconds} s)`);
    }
  }
}

main().catch((err: Error) => {
  console.error(`images: ${err.message}`);
  process.exitCode = 1;
});
