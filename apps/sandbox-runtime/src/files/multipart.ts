/**
 * A streaming `multipart/form-data` reader: parts are handed to the caller as they arrive,
 * their bodies written through with back-pressure, so an upload of any size crosses the
 * runtime in fixed memory.
 */

export class MultipartError extends Error {
  override name = 'MultipartError';
}

export interface PartInfo {
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The form field (`name` of Content-Disposition). */
  name: string | undefined;
  /** The `filename` (or `filename*`) of Content-Disposition, when the part is a file. */
  filename: string | undefined;
}

/** Where a part's body goes; `write` may wait (back-pressure) and may throw to stop the upload. */
export interface PartSink {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<void>;
}

const MAX_HEADER_BYTES = 16 * 1024;
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data` Content-Type, or undefined. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const params = parseParams(contentType.slice(contentType.indexOf(';') + 1));
  const boundary = params.boundary;
  return boundary && boundary.length <= 70 ? boundary : undefined;
}

/**
 * Reads `source` as multipart with `boundary`, calling `onPart` for each part; a part whose
 * sink is null is read and dropped. Throws MultipartError on malformed input (including a body
 * that ends before the closing delimiter: a cut upload is never taken for a whole one).
 */
export async function readMultipart(
  source: AsyncIterable<Buffer>,
  boundary: string,
  onPart: (part: PartInfo) => Promise<PartSink | null>,
): Promise<void> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The body starts with the first delimiter directly (a preamble is allowed before it).
  let buffer: Buffer = Buffer.concat([CRLF]);
  let state: 'preamble' | 'after-delimiter' | 'headers' | 'body' = 'preamble';
  let sink: PartSink | null = null;

  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      return false;
    }
    buffer = buffer.length === 0 ? next.value : Buffer.concat([buffer, next.value]);
    return true;
  };

  for (;;) {
    if (state === 'preamble') {
      const at = buffer.indexOf(delimiter);
      if (at === -1) {
        // Keep only what could start a delimiter.
        buffer = buffer.subarray(Math.max(0, buffer.length - delimiter.length));
        if (!(await more())) throw new MultipartError('no multipart boundary found in the body');
        continue;
      }
      buffer = buffer.subarray(at + delimiter.length);
      state = 'after-delimiter';
    } else if (state === 'after-delimiter') {
      if (buffer.length < 2) {
        if (!(await more())) throw new MultipartError('body ends after a boundary');
        continue;
      }
      if (buffer[0] === 0x2d && buffer[1] === 0x2d) break; // the closing delimiter
      // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
      const eol = buffer.indexOf(CRLF);
      if (eol === -1) {
        if (buffer.length > 256) throw new MultipartError('malformed boundary line');
        if (!(await more())) throw new MultipartError('body ends after a boundary');
        continue;
      }
      if (buffer.subarray(0, eol).toString('latin1').trim() !== '') throw new MultipartError('malformed boundary line');
      buffer = buffer.subarray(eol + 2);
      state = 'headers';
    } else if (state === 'headers') {
      const end = buffer.indexOf(HEADER_END);
      const emptyHeaders = buffer.length >= 2 && buffer[0] === 0x0d && buffer[1] === 0x0a;
      if (end === -1 && !emptyHeaders) {
        if (buffer.length > MAX_HEADER_BYTES) throw new MultipartError('part headers too large');
        if (!(await more())) throw new MultipartError('body ends inside part headers');
        continue;
      }
      const headerText = emptyHeaders ? '' : buffer.subarray(0, end).toString('utf8');
      buffer = buffer.subarray(emptyHeaders ? 2 : end + 4);
      const part = describePart(headerText);
      sink = await onPart(part);
      state = 'body';
    } else {
      const at = buffer.indexOf(delimiter);
      if (at === -1) {
        // Everything but a possible start of the delimiter is body.
        const safe = buffer.length - (delimiter.length - 1);
        if (safe > 0) {
          await sink?.write(buffer.subarray(0, safe));
          buffer = buffer.subarray(safe);
        }
        if (!(await more())) throw new MultipartError('body ends inside a part (the upload was cut short)');
        continue;
      }
      if (at > 0) await sink?.write(buffer.subarray(0, at));
      await sink?.end();
      sink = null;
      buffer = buffer.subarray(at + delimiter.length);
      state = 'after-delimiter';
    }
  }
  // Drain the epilogue so the connection stays usable.
  while (await more()) buffer = Buffer.alloc(0);
}

function describePart(headerText: string): PartInfo {
  const headers: Record<string, string> = {};
  for (const line of headerText.split('\r\n')) {
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`malformed part header "${line.slice(0, 80)}"`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const disposition = headers['content-disposition'];
  if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) throw new MultipartError('part without Content-Disposition: form-data');
  const params = parseParams(disposition.slice(disposition.indexOf(';') + 1));
  let filename = params.filename;
  const extended = params['filename*'];
  if (extended) {
    // RFC 5987: charset'language'percent-encoded
    const match = /^([^']*)'[^']*'(.*)$/.exec(extended);
    if (match) {
      try {
        filename = decodeURIComponent(match[2]!);
      } catch {
        throw new MultipartError('malformed filename* parameter');
      }
    }
  }
  return { headers, name: params.name, filename };
}

/** `; a=1; b="x \"y\""` → `{a: '1', b: 'x "y"'}` (names lower-cased). */
export function parseParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    while (i < text.length && (text[i] === ';' || text[i] === ' ' || text[i] === '\t')) i++;
    const eq = text.indexOf('=', i);
    if (eq === -1) break;
    const name = text.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    let value = '';
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      i++;
    } else {
      const semi = text.indexOf(';', i);
      const end = semi === -1 ? text.length : semi;
      value = text.slice(i, end).trim();
      i = end;
    }
    if (name && !(name in out)) out[name] = value;
  }
  return out;
}
