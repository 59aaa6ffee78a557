import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { credentialsFor, isLoopbackHost, parseRef, parseWwwAuthenticate, RegistryClient, retarget } from './registry.ts';

describe('image references', () => {
  it('splits registry, repository and tag', () => {
    expect(parseRef('localhost:5001/agent-sandbox/pause:0.1.0')).toEqual({ registry: 'localhost:5001', repository: 'agent-sandbox/pause', tag: '0.1.0' });
    expect(parseRef('ghcr.io/acme/x')).toEqual({ registry: 'ghcr.io', repository: 'acme/x', tag: 'latest' });
    expect(parseRef('busybox:1')).toEqual({ registry: 'docker.io', repository: 'library/busybox', tag: '1' });
    expect(() => parseRef('localhost:5001/Agent/X:1')).toThrow(/invalid repository/);
    expect(() => parseRef('localhost:5001/a@sha256:abc')).toThrow(/by tag/);
  });

  it('moves an image to another registry, keeping repository and tag', () => {
    expect(retarget('localhost:5001/agent-sandbox/pause:0.1.0', 'ghcr.io/acme')).toBe('ghcr.io/acme/agent-sandbox/pause:0.1.0');
    expect(retarget('localhost:5001/agent-sandbox/pause:0.1.0', 'http://127.0.0.1:5000/')).toBe('127.0.0.1:5000/agent-sandbox/pause:0.1.0');
  });

  it('uses plain HTTP only for loopback', () => {
    expect(['localhost:5001', '127.0.0.1:5000', '[::1]:5000', '127.1.2.3'].every(isLoopbackHost)).toBe(true);
    expect(['ghcr.io', '10.0.0.1:5000', 'localhost.example.com'].some(isLoopbackHost)).toBe(false);
  });
});

describe('registry authentication', () => {
  it('parses bearer and basic challenges', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
    });
    expect(parseWwwAuthenticate('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
  });

  it('takes credentials from the environment first, then Docker config.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'docker-config-'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: { 'registry.example': { auth: Buffer.from('alice:s3:cret').toString('base64') }, 'https://index.docker.io/v1/': { username: 'bob', password: 'pw' } },
        credHelpers: { 'gcr.example': 'gcloud' },
      }),
    );
    const env = { DOCKER_CONFIG: dir };
    expect(credentialsFor('registry.example', env)).toEqual({ username: 'alice', password: 's3:cret' });
    expect(credentialsFor('docker.io', env)).toEqual({ username: 'bob', password: 'pw' });
    expect(credentialsFor('other.example', env)).toBeUndefined();
    expect(() => credentialsFor('gcr.example', env)).toThrow(/credential helper "gcloud".*AGENT_SANDBOX_REGISTRY_USERNAME/);
    // Only a registry that asks for credentials makes the client look them up.
    expect(() => new RegistryClient('gcr.example', { env })).not.toThrow();
    expect(credentialsFor('registry.example', { ...env, AGENT_SANDBOX_REGISTRY_USERNAME: 'ci', AGENT_SANDBOX_REGISTRY_PASSWORD: 'token' })).toEqual({
      username: 'ci',
      password: 'token',
    });
  });
});
