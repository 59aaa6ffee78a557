import { createReadStream } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { RuntimeConfig } from '../config.ts';
import { sendJson } from '../http/respond.ts';
import { confine } from './confine.ts';

/** `GET /download/{path}`: the file's bytes, streamed. */
export async function handleDownload(res: ServerResponse, config: RuntimeConfig, given: string): Promise<void> {
  const path = await confine(config.baseDir, given);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return sendJson(res, 404, { message: 'File not found' });
  const stream = createReadStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  }).catch(() => undefined);
  if (stream.destroyed) return sendJson(res, 404, { message: 'File not found' });
  const name = path.slice(path.lastIndexOf('/') + 1);
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': info.size,
    'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
  });
  await pipeline(stream, res).catch(() => undefined);
}

export interface ListEntry {
  name: string;
  size: number;
  type: 'file' | 'directory';
  /** Seconds since the epoch. */
  mod_time: number;
}

/** `GET /list/{path}`: the entries of a directory (links are listed, not followed). */
export async function handleList(res: ServerResponse, config: RuntimeConfig, given: string): Promise<void> {
  const path = await confine(config.baseDir, given);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) return sendJson(res, 404, { message: 'Path is not a directory' });
  const names = (await readdir(path)).sort();
  const entries: ListEntry[] = [];
  for (const name of names) {
    const entry = await lstat(join(path, name)).catch(() => undefined);
    if (!entry) continue; // removed while listing
    entries.push({ name, size: entry.size, type: entry.isDirectory() ? 'directory' : 'file', mod_time: entry.mtimeMs / 1000 });
  }
  sendJson(res, 200, entries);
}

/** `GET /exists/{path}`: whether anything is there (`path` echoed as given). */
export async function handleExists(res: ServerResponse, config: RuntimeConfig, given: string): Promise<void> {
  const path = await confine(config.baseDir, given);
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  sendJson(res, 200, { path: given, exists });
}
