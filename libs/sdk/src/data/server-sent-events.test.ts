import { expect, it } from 'vitest';
import { readServerSentEvents } from './server-sent-events.ts';

it('reads events split anywhere across chunks, with multi-line data and comments', async () => {
  const text = ': comment\nevent: stdout\ndata: {"data":"a"}\n\nevent: exit\r\ndata: line1\r\ndata: line2\r\n\r\ndata: plain\n\n';
  const bytes = new TextEncoder().encode(text);
  for (const size of [1, 3, 7, bytes.length]) {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.slice(i, i + size));
        controller.close();
      },
    });
    const events = [];
    for await (const e of readServerSentEvents(body)) events.push(e);
    expect(events).toEqual([
      { event: 'stdout', data: '{"data":"a"}' },
      { event: 'exit', data: 'line1\nline2' },
      { event: 'message', data: 'plain' },
    ]);
  }
});
