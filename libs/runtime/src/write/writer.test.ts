import { describe, expect, it } from 'vitest';
import { Kinds } from '../client/kinds.ts';
import type { KubeClient } from '../client/kube-client.ts';
import type { KubeObject } from '../client/objects.ts';
import { Writer } from './writer.ts';

/** The client calls a Writer makes, recorded; each answers with the object at resourceVersion "9". */
function recordingClient() {
  const calls: Array<{ method: string; args: unknown[]; signal?: AbortSignal }> = [];
  const answer = (method: string) => (...args: unknown[]) => {
    const options = args.at(-1) as { signal?: AbortSignal };
    calls.push({ method, args, signal: options?.signal });
    if (options?.signal?.aborted) return Promise.reject(options.signal.reason);
    const ref = (args[1] as { name?: string; metadata?: { name?: string } }) ?? {};
    return Promise.resolve({ metadata: { namespace: 'ns', name: ref.name ?? ref.metadata?.name ?? 'x', uid: 'u1', resourceVersion: '9' } });
  };
  const client = { patch: answer('patch'), create: answer('create'), delete: answer('delete') };
  return { client: client as unknown as KubeClient, calls };
}

const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', name: 'a', uid: 'u1', resourceVersion: '7' } };

describe('Writer', () => {
  it('locks a merge patch on the resourceVersion read, unless told the field has no other writer', async () => {
    const { client, calls } = recordingClient();
    const w = new Writer(client, 'me');
    await w.patch(Kinds.ConfigMap, cm, { metadata: { labels: { a: 'b' } } });
    await w.patch(Kinds.ConfigMap, cm, { metadata: { labels: { a: 'c' } } }, { lock: false });
    expect(calls[0]!.args[2]).toEqual({ metadata: { labels: { a: 'b' }, resourceVersion: '7' } });
    expect(calls[0]!.args[3]).toMatchObject({ type: 'merge', fieldManager: 'me' });
    expect(calls[1]!.args[2]).toEqual({ metadata: { labels: { a: 'c' } } });
  });

  it('deletes exactly the object read: its uid always, its resourceVersion when locked', async () => {
    const { client, calls } = recordingClient();
    const w = new Writer(client, 'me');
    await w.delete(Kinds.ConfigMap, cm);
    await w.delete(Kinds.ConfigMap, cm, { lock: true, propagationPolicy: 'Background' });
    expect(calls[0]!.args[2]).toMatchObject({ preconditions: { uid: 'u1' } });
    expect(calls[1]!.args[2]).toMatchObject({ preconditions: { uid: 'u1', resourceVersion: '7' }, propagationPolicy: 'Background' });
    expect(() => w.delete(Kinds.ConfigMap, { metadata: { name: 'n' } })).toThrow(/no uid/);
  });

  it('refuses to lock on an object read without a resourceVersion', () => {
    const { client } = recordingClient();
    expect(() => new Writer(client, 'me').patch(Kinds.ConfigMap, { metadata: { name: 'n' } }, {})).toThrow(/no resourceVersion to lock on/);
  });

  it('once fenced, aborts the writes in flight and refuses new ones until unfenced', async () => {
    const { client, calls } = recordingClient();
    const w = new Writer(client, 'me');
    const inFlight = w.create(Kinds.ConfigMap, cm);
    w.fence('leadership lost');
    expect(calls[0]!.signal?.aborted).toBe(true);
    await inFlight; // the recording client answered before the fence; a real request would be aborted
    expect(() => w.create(Kinds.ConfigMap, cm)).toThrow(/write refused: leadership lost/);
    expect(() => w.patch(Kinds.ConfigMap, cm, {})).toThrow(/write refused/);
    expect(w.fenced).toBe(true);
    w.unfence();
    await w.create(Kinds.ConfigMap, cm);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.signal?.aborted).toBe(false);
  });

  it('remembers the version its last write of an object produced', async () => {
    const { client } = recordingClient();
    const w = new Writer(client, 'me');
    const written = await w.patch(Kinds.ConfigMap, cm, { metadata: { labels: { a: 'b' } } });
    expect(w.wrote(Kinds.ConfigMap, written)).toBe(true);
    expect(w.wrote(Kinds.ConfigMap, cm)).toBe(false); // the version it was made from
    expect(w.wrote(Kinds.Secret, written)).toBe(false); // another kind
    expect(w.wrote(Kinds.ConfigMap, { ...written, metadata: { ...written.metadata, uid: 'other' } })).toBe(false);
  });

  it('while a write of an object awaits its answer, says when it is answered, already recorded', async () => {
    let answer!: (obj: KubeObject) => void;
    let fail!: (error: Error) => void;
    const pending = () => new Promise<KubeObject>((resolve, reject) => ((answer = resolve), (fail = reject)));
    const client = { patch: pending, create: pending } as unknown as KubeClient;
    const w = new Writer(client, 'me');
    expect(w.settling(Kinds.ConfigMap, cm)).toBeUndefined();
    const write = w.patch(Kinds.ConfigMap, cm, { metadata: { labels: { a: 'b' } } });
    const settling = w.settling(Kinds.ConfigMap, cm);
    expect(settling).toBeInstanceOf(Promise);
    expect(w.settling(Kinds.ConfigMap, { metadata: { namespace: 'ns', name: 'other' } })).toBeUndefined();
    const written: KubeObject = { metadata: { ...cm.metadata, resourceVersion: '8' } };
    let wroteWhenSettled: boolean | undefined;
    void settling!.then(() => (wroteWhenSettled = w.wrote(Kinds.ConfigMap, written)));
    answer(written);
    await write;
    await settling;
    expect(wroteWhenSettled).toBe(true);
    expect(w.settling(Kinds.ConfigMap, cm)).toBeUndefined();
    // A refused write settles too.
    const refused = w.patch(Kinds.ConfigMap, written, {});
    const settlingRefused = w.settling(Kinds.ConfigMap, cm)!;
    fail(new Error('409'));
    await expect(refused).rejects.toThrow('409');
    await settlingRefused;
    expect(w.settling(Kinds.ConfigMap, cm)).toBeUndefined();
  });
});
