import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { findKubeConfig, loadKubeConfig } from './kubeconfig.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'kubeconfig-test-'));
}

function config(user: Record<string, unknown>, cluster: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA-PEM'), ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'team-a' } }],
    'current-context': 'ctx',
    ...extra,
  };
}

async function optionsOf(kc: { applyToHTTPSOptions(o: https.RequestOptions): Promise<void> }): Promise<https.RequestOptions & { headers: Record<string, string> }> {
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return opts as https.RequestOptions & { headers: Record<string, string> };
}

const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString() : v);

describe('kubeconfig loader', () => {
  it('reads a JSON kubeconfig: server, CA, bearer token, context namespace', async () => {
    const d = dir();
    const file = join(d, 'config.json');
    writeFileSync(file, JSON.stringify(config({ token: 'tok-1' })));
    const kc = await loadKubeConfig(file);
    expect(kc.getCurrentCluster().server).toBe('https://127.0.0.1:6443');
    expect(kc.namespace).toBe('team-a');
    const opts = await optionsOf(kc);
    expect(text(opts.ca)).toBe('CA-PEM');
    expect(opts.headers.Authorization).toBe('Bearer tok-1');
  });

  it('reads YAML as kubectl writes it, with client certificate files relative to the file', async () => {
    const d = dir();
    mkdirSync(join(d, 'pki'));
    writeFileSync(join(d, 'pki', 'client.crt'), 'CERT-PEM');
    writeFileSync(join(d, 'pki', 'client.key'), 'KEY-PEM');
    writeFileSync(join(d, 'ca.crt'), 'CA-FILE-PEM');
    const yaml = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: c',
      '  cluster:',
      '    server: https://example.test:443',
      '    certificate-authority: ca.crt',
      '    tls-server-name: api.internal',
      'users:',
      '- name: u',
      '  user:',
      '    client-certificate: pki/client.crt',
      '    client-key: pki/client.key',
      'contexts:',
      '- name: ctx',
      '  context: {cluster: c, user: u}',
      'current-context: ctx',
      '',
    ].join('\n');
    writeFileSync(join(d, 'config'), yaml);
    const opts = await optionsOf(await loadKubeConfig(join(d, 'config')));
    expect(text(opts.ca)).toBe('CA-FILE-PEM');
    expect(text(opts.cert)).toBe('CERT-PEM');
    expect(text(opts.key)).toBe('KEY-PEM');
    expect(opts.servername).toBe('api.internal');
    expect(opts.headers.Authorization).toBeUndefined();
  });

  it('sets what @kubernetes/client-node sets for the same file', async () => {
    const d = dir();
    const file = join(d, 'config.json');
    writeFileSync(
      file,
      JSON.stringify(config({ 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY'), token: 't', as: 'alice' }, { 'insecure-skip-tls-verify': true, 'tls-server-name': 'x.test' })),
    );
    const ours = await optionsOf(await loadKubeConfig(file));
    const theirs = new KubeConfig();
    theirs.loadFromFile(file);
    const ref = await optionsOf(theirs);
    for (const field of ['ca', 'cert', 'key'] as const) expect(text(ours[field])).toEqual(text(ref[field]));
    expect(ours.rejectUnauthorized).toBe(ref.rejectUnauthorized);
    expect(ours.servername).toBe(ref.servername);
    expect(ours.headers.Authorization).toBe(ref.headers.Authorization);
    expect(ours.headers['Impersonate-User']).toBe(ref.headers['Impersonate-User']);
    expect(ours.headers['Impersonate-User']).toBe('alice');
  });

  it('sends basic auth for username and password', async () => {
    const d = dir();
    writeFileSync(join(d, 'k'), JSON.stringify(config({ username: 'admin', password: 's3cret' })));
    expect((await optionsOf(await loadKubeConfig(join(d, 'k')))).auth).toBe('admin:s3cret');
  });

  it('reads a tokenFile again at each refresh, so a rotated token is used', async () => {
    const d = dir();
    writeFileSync(join(d, 'token'), 'first\n');
    writeFileSync(join(d, 'k'), JSON.stringify(config({ tokenFile: 'token' })));
    const kc = await loadKubeConfig(join(d, 'k'));
    expect((await optionsOf(kc)).headers.Authorization).toBe('Bearer first');
    writeFileSync(join(d, 'token'), 'second\n');
    expect((await optionsOf(kc)).headers.Authorization).toBe('Bearer second');
  });

  it('merges the files KUBECONFIG lists as kubectl does: the first to name an entry wins, missing files are skipped', async () => {
    const d = dir();
    const a = join(d, 'a');
    const b = join(d, 'b');
    writeFileSync(a, JSON.stringify({ clusters: [{ name: 'c', cluster: { server: 'https://first:1' } }], users: [], contexts: [] }));
    writeFileSync(b, JSON.stringify(config({ token: 'from-b' }, { server: 'https://second:2' })));
    const kc = await findKubeConfig('', { env: { KUBECONFIG: [join(d, 'missing'), a, b].join(':') } });
    expect(kc!.getCurrentCluster().server).toBe('https://first:1');
    expect((await optionsOf(kc!)).headers.Authorization).toBe('Bearer from-b');
  });

  it('falls back to ~/.kube/config, then to the in-cluster ServiceAccount (token rotation included)', async () => {
    const home = dir();
    mkdirSync(join(home, '.kube'));
    writeFileSync(join(home, '.kube', 'config'), JSON.stringify(config({ token: 'home' })));
    const sa = dir();
    writeFileSync(join(sa, 'token'), 'sa-token-1');
    writeFileSync(join(sa, 'ca.crt'), 'SA-CA');
    writeFileSync(join(sa, 'namespace'), 'agent-sandbox-system');
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    const fromHome = await findKubeConfig('', { env, home, serviceAccountDir: sa });
    expect((await optionsOf(fromHome!)).headers.Authorization).toBe('Bearer home');

    const inCluster = await findKubeConfig('', { env, home: dir(), serviceAccountDir: sa });
    expect(inCluster!.getCurrentCluster().server).toBe('https://10.96.0.1:443');
    expect(inCluster!.namespace).toBe('agent-sandbox-system');
    const first = await optionsOf(inCluster!);
    expect(text(first.ca)).toBe('SA-CA');
    expect(first.headers.Authorization).toBe('Bearer sa-token-1');
    writeFileSync(join(sa, 'token'), 'sa-token-2');
    expect((await optionsOf(inCluster!)).headers.Authorization).toBe('Bearer sa-token-2');

    const v6 = await findKubeConfig('', { env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, home: dir(), serviceAccountDir: sa });
    expect(v6!.getCurrentCluster().server).toBe('https://[fd00::1]:443');
  });

  it('finds nothing outside a cluster without a kubeconfig, and loadKubeConfig says what to do', async () => {
    const none = { env: {}, home: dir(), serviceAccountDir: dir() };
    expect(await findKubeConfig('', none)).toBeUndefined();
    await expect(loadKubeConfig('', none)).rejects.toThrow(/no kubeconfig: pass --kubeconfig, set KUBECONFIG/);
  });

  it('names the file and the field in errors', async () => {
    const d = dir();
    await expect(loadKubeConfig(join(d, 'nope'))).rejects.toThrow(`kubeconfig ${join(d, 'nope')}: no such file`);
    writeFileSync(join(d, 'bad'), JSON.stringify(config({ token: 't' }, { server: '' })));
    await expect(loadKubeConfig(join(d, 'bad'))).rejects.toThrow(/clusters\[c\]\.cluster\.server is missing/);
    writeFileSync(join(d, 'noctx'), JSON.stringify(config({ token: 't' }, {}, { 'current-context': 'other' })));
    await expect(loadKubeConfig(join(d, 'noctx'))).rejects.toThrow(/context "other" not found/);
    writeFileSync(join(d, 'json'), '{ not json');
    await expect(loadKubeConfig(join(d, 'json'))).rejects.toThrow(/not valid JSON/);
  });

  describe('exec credential plugins', () => {
    /** A plugin that counts its runs, echoes what it was given, and prints `status`. */
    function plugin(d: string, status: Record<string, unknown>, apiVersion = 'client.authentication.k8s.io/v1'): string {
      const script = join(d, 'plugin.sh');
      writeFileSync(
        script,
        [
          '#!/bin/sh',
          `echo run >> "${join(d, 'runs')}"`,
          `printf '%s' "$KUBERNETES_EXEC_INFO" > "${join(d, 'info')}"`,
          `printf '%s' "$PLUGIN_GREETING" > "${join(d, 'env')}"`,
          `cat <<'EOF'`,
          JSON.stringify({ apiVersion, kind: 'ExecCredential', status }),
          'EOF',
        ].join('\n'),
      );
      chmodSync(script, 0o755);
      return script;
    }
    const runs = (d: string) => readFileSync(join(d, 'runs'), 'utf8').trim().split('\n').length;

    it('uses the token the plugin prints, runs it once until the credential expires, and tells it the cluster', async () => {
      const d = dir();
      const later = new Date(Date.now() + 3_600_000).toISOString();
      plugin(d, { token: 'exec-token', expirationTimestamp: later });
      writeFileSync(
        join(d, 'k'),
        JSON.stringify(config({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './plugin.sh', args: [], env: [{ name: 'PLUGIN_GREETING', value: 'hi' }], provideClusterInfo: true, interactiveMode: 'Never' } })),
      );
      const kc = await loadKubeConfig(join(d, 'k'));
      expect((await optionsOf(kc)).headers.Authorization).toBe('Bearer exec-token');
      expect((await optionsOf(kc)).headers.Authorization).toBe('Bearer exec-token');
      expect(runs(d)).toBe(1);
      expect(readFileSync(join(d, 'env'), 'utf8')).toBe('hi');
      const info = JSON.parse(readFileSync(join(d, 'info'), 'utf8')) as { kind: string; spec: { interactive: boolean; cluster: { server: string; 'certificate-authority-data': string } } };
      expect(info.kind).toBe('ExecCredential');
      expect(info.spec.interactive).toBe(false);
      expect(info.spec.cluster.server).toBe('https://127.0.0.1:6443');
      expect(info.spec.cluster['certificate-authority-data']).toBe(b64('CA-PEM'));
    });

    it('runs the plugin again once its credential has expired, and accepts a client certificate', async () => {
      const d = dir();
      plugin(d, { clientCertificateData: 'EXEC-CERT', clientKeyData: 'EXEC-KEY', expirationTimestamp: new Date(Date.now() - 1_000).toISOString() });
      writeFileSync(join(d, 'k'), JSON.stringify(config({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: join(d, 'plugin.sh') } })));
      const kc = await loadKubeConfig(join(d, 'k'));
      const opts = await optionsOf(kc);
      expect(opts.cert).toBe('EXEC-CERT');
      expect(opts.key).toBe('EXEC-KEY');
      await optionsOf(kc);
      expect(runs(d)).toBe(2);
    });

    it('reports a failing plugin or a wrong answer with the plugin named', async () => {
      const d = dir();
      writeFileSync(join(d, 'fail.sh'), '#!/bin/sh\necho "token expired, run login" >&2\nexit 3\n');
      chmodSync(join(d, 'fail.sh'), 0o755);
      writeFileSync(join(d, 'k'), JSON.stringify(config({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: join(d, 'fail.sh') } })));
      await expect(optionsOf(await loadKubeConfig(join(d, 'k')))).rejects.toThrow(/exec plugin .*fail\.sh failed \(exit code 3\): token expired, run login$/);

      const e = dir();
      plugin(e, { token: 't' }, 'client.authentication.k8s.io/v1beta1');
      writeFileSync(join(e, 'k'), JSON.stringify(config({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: join(e, 'plugin.sh') } })));
      await expect(optionsOf(await loadKubeConfig(join(e, 'k')))).rejects.toThrow(/answered client.authentication.k8s.io\/v1beta1, asked client.authentication.k8s.io\/v1/);
    });
  });
});
