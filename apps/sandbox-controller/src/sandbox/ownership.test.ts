import { describe, expect, it } from 'vitest';
import { standingOf, withController } from './ownership.ts';

const owner = { uid: 'me', nameHash: 'h' };
const ref = (uid: string, controller = true) => ({ apiVersion: 'v1', kind: 'X', name: 'x', uid, controller });

describe('standing of an existing object', () => {
  it('owned by us, foreign when controlled by another, adoptable only with consent', () => {
    expect(standingOf({ metadata: { ownerReferences: [ref('me')] } }, owner)).toBe('owned');
    expect(standingOf({ metadata: { ownerReferences: [ref('other')], labels: { 'agents.x-k8s.io/adoptable': 'true' } } }, owner)).toBe('foreign');
    expect(standingOf({ metadata: {} }, owner)).toBe('foreign');
    expect(standingOf({ metadata: { labels: { 'agents.x-k8s.io/adoptable': 'false' } } }, owner)).toBe('foreign');
    expect(standingOf({ metadata: { labels: { 'agents.x-k8s.io/adoptable': 'true' } } }, owner)).toBe('adoptable');
    expect(standingOf({ metadata: { labels: { 'agents.x-k8s.io/sandbox-name-hash': 'h' } } }, owner)).toBe('adoptable');
    expect(standingOf({ metadata: { labels: { 'agents.x-k8s.io/sandbox-name-hash': 'other' } } }, owner)).toBe('foreign');
    // A non-controller reference does not make it someone else's.
    expect(standingOf({ metadata: { ownerReferences: [ref('other', false)], labels: { 'agents.x-k8s.io/adoptable': 'true' } } }, owner)).toBe('adoptable');
  });

  it('adds the controller reference, keeping other references', () => {
    expect(withController({ metadata: { ownerReferences: [ref('other', false)] } }, ref('me'))).toEqual([ref('other', false), ref('me')]);
  });
});
