import { expect, it } from 'vitest';
import { BoundedOutput } from './bounded-output.ts';

it('keeps up to its limit, counts the rest and marks the text as cut', () => {
  const out = new BoundedOutput(5);
  out.push(Buffer.from('abc'));
  expect(out.text()).toBe('abc');
  out.push(Buffer.from('defg'));
  out.push(Buffer.from('hij'));
  expect(out.truncated).toBe(true);
  expect(out.droppedBytes).toBe(5);
  expect(out.text()).toBe('abcde\n[output truncated: 5 more bytes not kept]\n');
});
