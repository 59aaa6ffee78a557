import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from './blobs.ts';
import { startLocalRegistry, type LocalRegistry } from './local-registry.ts';
import type { BuiltImage } from './oci.ts';
import { PACKAGE_DIR } from './paths.ts';
import { buildRecipe, recipe } from './recipes.ts';
import { pushImage, RegistryClient, remoteDigest, retarget } from './registry.ts';

const execFileAsync = promisify(execFile);

describe('pushing to a real OCI registry (CNCF Distribution on loopback)', () => {
  let registry: LocalRegistry;
  let controller: BuiltImage;
  let reaper: BuiltImage;
  beforeAll(async () => {
    registry = await startLocalRegistry();
    controller = await buildRecipe(recipe('sandbox-controller'));
    reaper = await buildRecipe(recipe('ttl-reaper'));
  }, 600_000);
  afterAll(async () => {
    await registry?.stop();
  });

  it('pushes an image and pulls back the same manifest digest and blobs', async () => {
    const ref = retarget(controller.ref, registry.host);
    expect(ref).toBe(`${registry.host}/agent-sandbox/sandbox-controller:${controller.tag}`);
    const pushed = await pushImage(controller, ref);
    expect(pushed).toMatchObject({ digest: controller.digest, uploaded: controller.layers.length + 1, mounted: 0, present: 0 });
    expect(await remoteDigest(ref)).toBe(controller.digest);
    const client = new RegistryClient(registry.host);
    const manifest = await client.getManifest('agent-sandbox/sandbox-controller', controller.digest);
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.body.equals(await controller.blobs.get(controller.digest))).toBe(true);
    const layer = controller.layers.at(-1)!;
    const res = await fetch(`${registry.url}/v2/agent-sandbox/sandbox-controller/blobs/${layer.digest}`);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(layer.digest);
  }, 300_000);

  it('sends only what the registry lacks: layers another repository has are mounted, a second push sends nothing', async () => {
    const ref = retarget(reaper.ref, registry.host);
    const first = await pushImage(reaper, ref);
    // The Debian, Node and npm layers are the sandbox-controller's; the bundle and config are new.
    const shared = reaper.layers.filter((l) => controller.layers.some((c) => c.digest === l.digest)).length;
    expect(shared).toBeGreaterThanOrEqual(2);
    expect(first).toMatchObject({ mounted: shared, uploaded: reaper.layers.length + 1 - shared, present: 0 });
    const again = await pushImage(reaper, ref);
    expect(again).toMatchObject({ uploaded: 0, mounted: 0, present: reaper.layers.length + 1 });
    expect(await remoteDigest(ref)).toBe(reaper.digest);
  }, 300_000);

  it('npm run images -- <name> --push <registry> builds and pushes', async () => {
    const { stdout } = await execFileAsync(process.execPath, [join(PACKAGE_DIR, 'src', 'cli.ts'), 'pause', '--push', registry.host], { timeout: 120_000 });
    const pause = /^pause\s+(sha256:[0-9a-f]{64})\s+[\d.]+ MB/m.exec(stdout);
    expect(pause, stdout).not.toBeNull();
    expect(stdout).toContain(`pushed ${registry.host}/agent-sandbox/pause:`);
    const tag = /agent-sandbox\/pause:(\S+)@/.exec(stdout)![1]!;
    expect(await remoteDigest(`${registry.host}/agent-sandbox/pause:${tag}`)).toBe(pause![1]);
  }, 300_000);
});

describe('pushing to a registry that wants credentials', () => {
  let registry: LocalRegistry;
  let pause: BuiltImage;
  beforeAll(async () => {
    registry = await startLocalRegistry({ auth: 'htpasswd' });
    pause = await buildRecipe(recipe('pause'));
  }, 600_000);
  afterAll(async () => {
    await registry?.stop();
  });

  it('says credentials are needed, then pushes with them', async () => {
    const ref = retarget(pause.ref, registry.host);
    const none = { HOME: '/nonexistent' };
    await expect(pushImage(pause, ref, { env: none })).rejects.toThrow(`registry ${registry.host} needs credentials`);
    await expect(pushImage(pause, ref, { credentials: { username: 'docker', password: 'wrong' } })).rejects.toThrow(`registry ${registry.host} refused the credentials of docker`);
    const env = { ...none, AGENT_SANDBOX_REGISTRY_USERNAME: registry.credentials!.username, AGENT_SANDBOX_REGISTRY_PASSWORD: registry.credentials!.password };
    expect(await pushImage(pause, ref, { env })).toMatchObject({ digest: pause.digest, uploaded: 2 });
    expect(await remoteDigest(ref, { env })).toBe(pause.digest);
  }, 120_000);
});
