import { expect, it } from 'vitest';
import { AccessDenied, lexicalTarget } from './confine.ts';

it.each([['a/b', '/app/a/b'], ['a/../b', '/app/b'], ['/app/x', '/app/x'], ['', '/app'], ['.', '/app']])('keeps %j inside as %s', (given, target) => {
  expect(lexicalTarget('/app', given)).toBe(target);
});

it.each(['..', '../app2/x', 'a/../../x', '/etc/passwd', '/app2', '/app/../etc', 'a\u0000b'])('refuses %j', (given) => {
  expect(() => lexicalTarget('/app', given)).toThrow(AccessDenied);
});
