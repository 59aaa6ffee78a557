import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, dirname, join } from 'node:path';
import type { RuntimeConfig } from '../config.ts';
import { HttpError, sendJson } from '../http/respond.ts';
import { AccessDenied, confine } from './confine.ts';
import { boundaryOf, MultipartError, readMultipart, type PartSink } from './multipart.ts';

/** Room for the multipart framing around the file in a declared Content-Length. */
const FRAMING_BYTES = 64 * 1024;

/**
 * One file being received: written to a hidden temporary file beside its destination and
 * renamed over it only once complete, so a refused, cut or failed upload leaves nothing behind
 * (the folders it created included) and a reader never sees half a file.
 */
class FileUpload implements PartSink {
  readonly #target: string;
  readonly #temp: string;
  readonly #handle: FileHandle;
  readonly #limit: number;
  /** Folders this upload created, deepest first: removed again if it fails. */
  readonly #createdDirs: string[];
  #size = 0;

  private constructor(target: string, temp: string, handle: FileHandle, limit: number, createdDirs: string[]) {
    this.#target = target;
    this.#temp = temp;
    this.#handle = handle;
    this.#limit = limit;
    this.#createdDirs = createdDirs;
  }

  static async begin(baseDir: string, filename: string, limit: number): Promise<FileUpload> {
    if (filename === '') throw new HttpError(400, 'file: the part has an empty filename (the destination path)');
    const target = await confine(baseDir, filename);
    if (target === baseDir) throw new HttpError(400, `file: "${filename}" names the base directory, not a file`);
    const dir = dirname(target);
    let firstCreated: string | undefined;
    try {
      firstCreated = await mkdir(dir, { recursive: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTDIR') throw new HttpError(400, `file: a parent of "${filename}" is not a directory`);
      throw err;
    }
    const createdDirs: string[] = [];
    if (firstCreated) for (let d = dir; d.length >= firstCreated.length; d = dirname(d)) createdDirs.push(d);
    const existing = await stat(target).catch(() => undefined);
    if (existing?.isDirectory()) {
      await removeDirs(createdDirs);
      throw new HttpError(400, `file: "${filename}" is a directory`);
    }
    const temp = join(dir, `.${basename(target)}.upload-${randomBytes(6).toString('hex')}`);
    const handle = await open(temp, 'wx', 0o644);
    return new FileUpload(target, temp, handle, limit, createdDirs);
  }

  async write(chunk: Buffer): Promise<void> {
    this.#size += chunk.length;
    if (this.#size > this.#limit) throw new HttpError(413, `file is larger than the upload limit of ${this.#limit} bytes`);
    await this.#handle.write(chunk);
  }

  async end(): Promise<void> {
    await this.#handle.close();
  }

  async commit(): Promise<void> {
    await rename(this.#temp, this.#target);
  }

  async abort(): Promise<void> {
    await this.#handle.close().catch(() => undefined);
    await unlink(this.#temp).catch(() => undefined);
    await removeDirs(this.#createdDirs);
  }
}

async function removeDirs(deepestFirst: string[]): Promise<void> {
  for (const dir of deepestFirst) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty (something else was put there meanwhile): keep it and its parents
    }
  }
}

/** `POST /upload`: multipart field `file`, whose filename is the destination under the base directory. */
export async function handleUpload(req: IncomingMessage, res: ServerResponse, config: RuntimeConfig): Promise<void> {
  const boundary = boundaryOf(req.headers['content-type']);
  if (!boundary) throw new HttpError(400, 'expected a multipart/form-data body with a boundary');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > config.maxUploadBytes + FRAMING_BYTES) {
    throw new HttpError(413, `upload of ${declared} bytes is larger than the limit of ${config.maxUploadBytes} bytes`);
  }
  let upload: FileUpload | undefined;
  let name = '';
  try {
    await readMultipart(req as AsyncIterable<Buffer>, boundary, async (part) => {
      if (upload || part.name !== 'file' || part.filename === undefined) return null;
      name = part.filename;
      upload = await FileUpload.begin(config.baseDir, part.filename, config.maxUploadBytes);
      return upload;
    });
    if (!upload) throw new HttpError(400, 'file: no part named "file" with a filename in the upload');
    await upload.commit();
  } catch (err) {
    await upload?.abort();
    if (err instanceof MultipartError) throw new HttpError(400, `malformed upload: ${err.message}`);
    if (err instanceof AccessDenied) throw err;
    throw err;
  }
  sendJson(res, 200, { message: `File '${name}' uploaded successfully.` });
}
