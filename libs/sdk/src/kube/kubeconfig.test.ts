import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadClusterAccess } from './kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'sdk-kubeconfig-'));
const saved = process.env.KUBECONFIG;
afterEach(() => {
  if (saved === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = saved;
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadClusterAccess', () => {
  it('reads the current context: server, namespace, CA data, a token', async () => {
    const path = file(
      'a.yaml',
      `apiVersion: v1
clusters: [{name: c, cluster: {server: "https://api.example:6443", certificate-authority-data: ${Buffer.from('CA').toString('base64')}}}]
users: [{name: u, user: {token: secret-token}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: team}}, {name: y, context: {cluster: c, user: u}}]
current-context: x
`,
    );
    const access = loadClusterAccess({ kubeconfig: path });
    expect(access).toMatchObject({ server: 'https://api.example:6443', namespace: 'team' });
    expect(Buffer.from(access.ca!).toString()).toBe('CA');
    expect(await access.token!()).toBe('secret-token');
    expect(loadClusterAccess({ kubeconfig: path, context: 'y' }).namespace).toBeUndefined();
  });

  it('resolves files relative to the kubeconfig, and merges $KUBECONFIG first-wins', async () => {
    file('token', 'from-file\n');
    file('ca.crt', 'CA-FILE');
    const first = file('first.yaml', `current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {tokenFile: token}}]\n`);
    const second = file('second.yaml', `current-context: other\nclusters: [{name: c, cluster: {server: "https://second", certificate-authority: ca.crt}}]\nusers: [{name: u, user: {token: ignored}}]\n`);
    process.env.KUBECONFIG = `${first}:${second}`;
    const access = loadClusterAccess();
    expect(access.server).toBe('https://second');
    expect(Buffer.from(access.ca!).toString()).toBe('CA-FILE');
    expect(await access.token!()).toBe('from-file');
  });

  it('runs an exec credential plugin and keeps its token until it expires', async () => {
    const counter = join(dir, 'calls');
    writeFileSync(counter, '');
    const plugin = file(
      'plugin.sh',
      `#!/bin/sh\necho x >> ${counter}\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-'"$MY_VAR"'","expirationTimestamp":"2999-01-01T00:00:00Z"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const path = file(
      'exec.yaml',
      `current-context: x
contexts: [{name: x, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://s"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ${plugin}, env: [{name: MY_VAR, value: v1}]}}}]
`,
    );
    const access = loadClusterAccess({ kubeconfig: path });
    expect(await access.token!()).toBe('exec-v1');
    expect(await access.token!()).toBe('exec-v1');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(counter, 'utf8')).toBe('x\n');
  });

  it('names what is missing', () => {
    expect(() => loadClusterAccess({ kubeconfig: file('bad.yaml', 'current-context: nope\n') })).toThrow('kubeconfig: context "nope" not found');
    expect(() => loadClusterAccess({ kubeconfig: join(dir, 'missing.yaml') })).toThrow(/no kubeconfig found/);
  });
});
