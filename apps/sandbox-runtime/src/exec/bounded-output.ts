/**
 * What a command printed on one stream, kept up to a byte limit. Past the limit the bytes are
 * counted and dropped (the pipe keeps draining, so the command never blocks on a full pipe),
 * and the text ends with a marker saying how much was left out.
 */
export class BoundedOutput {
  readonly #limit: number;
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  #dropped = 0;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  push(chunk: Buffer): void {
    const room = this.#limit - this.#kept;
    if (room >= chunk.length) {
      this.#chunks.push(chunk);
      this.#kept += chunk.length;
      return;
    }
    if (room > 0) {
      this.#chunks.push(chunk.subarray(0, room));
      this.#kept += room;
    }
    this.#dropped += chunk.length - Math.max(0, room);
  }

  get truncated(): boolean {
    return this.#dropped > 0;
  }

  get droppedBytes(): number {
    return this.#dropped;
  }

  text(): string {
    const kept = Buffer.concat(this.#chunks, this.#kept).toString('utf8');
    return this.truncated ? `${kept}\n${truncationMarker(this.#dropped)}\n` : kept;
  }
}

export function truncationMarker(droppedBytes: number): string {
  return `[output truncated: ${droppedBytes} more bytes not kept]`;
}
