import { describe, expect, it } from 'vitest';
import { admissionReview, sandbox } from '../testing/fixtures.ts';
import type { JsonRecord } from '../util/json.ts';
import { MalformedReview, parseAdmissionReview } from './admission-review.ts';

const good = () => admissionReview({ resource: 'sandboxes', operation: 'UPDATE', object: sandbox('a'), oldObject: sandbox('a') });
const withRequest = (change: (r: JsonRecord) => void) => {
  const body = good();
  change(body.request as JsonRecord);
  return body;
};

describe('parseAdmissionReview', () => {
  it('reads a well-formed review', () => {
    const request = parseAdmissionReview(good());
    expect(request).toMatchObject({ operation: 'UPDATE', namespace: 'team-a', name: 'a', subResource: '', userInfo: { username: 'jane@example.com' } });
  });

  it.each([
    ['not an object', [], 'the body must be a JSON object'],
    ['null', null, 'the body must be a JSON object'],
    ['wrong apiVersion', { ...good(), apiVersion: 'admission.k8s.io/v1beta1' }, 'apiVersion must be admission.k8s.io/v1; got "admission.k8s.io/v1beta1"'],
    ['wrong kind', { ...good(), kind: 'Pod' }, 'kind must be AdmissionReview; got "Pod"'],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'request must be a JSON object'],
    ['uid missing', withRequest((r) => delete r.uid), 'request.uid must be a string'],
    ['uid empty', withRequest((r) => (r.uid = '')), 'request.uid must not be empty'],
    ['kind a string', withRequest((r) => (r.kind = 'Sandbox')), 'request.kind must be an object {group, version, kind}'],
    ['resource without a name', withRequest((r) => (r.resource = { group: 'g', version: 'v1' })), 'request.resource.resource must be a string'],
    ['unknown operation', withRequest((r) => (r.operation = 'PATCH')), 'request.operation must be one of CREATE, UPDATE, DELETE, CONNECT'],
    ['groups not strings', withRequest((r) => (r.userInfo = { username: 'x', groups: [1] })), 'request.userInfo.groups must be a list of strings'],
    ['object a list', withRequest((r) => (r.object = [])), 'request.object must be a JSON object or null'],
    ['update without oldObject', withRequest((r) => (r.oldObject = null)), 'request.oldObject is required for UPDATE'],
    ['create without object', withRequest((r) => ((r.operation = 'CREATE'), (r.object = null))), 'request.object is required for CREATE'],
    ['dryRun a string', withRequest((r) => (r.dryRun = 'yes')), 'request.dryRun must be a boolean when set'],
  ])('refuses %s with a reason', (_name, body, reason) => {
    expect(() => parseAdmissionReview(body)).toThrow(MalformedReview);
    expect(() => parseAdmissionReview(body)).toThrow(reason);
  });
});
