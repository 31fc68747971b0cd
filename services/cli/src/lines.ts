/**
 * Reads input files line by line as bytes: plain or gzip (told by its magic bytes), or stdin for
 * `-`. Lines are not decoded here: invalid UTF-8 must reach the extraction as it came.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

export class InputError extends Error {
  override name = 'InputError';
}

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

export async function openInput(path: string): Promise<Readable> {
  if (path === '-') return process.stdin;
  try {
    const gzip = await isGzip(path);
    const stream = createReadStream(path);
    return gzip ? stream.pipe(createGunzip()) : stream;
  } catch (error) {
    throw new InputError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Yields each line (without its newline) and its 1-based number. A trailing empty line is not yielded. */
export async function* readLines(input: Readable): AsyncGenerator<{ line: number; bytes: Buffer }> {
  let carry: Buffer = Buffer.alloc(0);
  let line = 0;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let nl = data.indexOf(0x0a, start); nl !== -1; nl = data.indexOf(0x0a, start)) {
      line += 1;
      const end = nl > start && data[nl - 1] === 0x0d ? nl - 1 : nl;
      yield { line, bytes: data.subarray(start, end) };
      start = nl + 1;
    }
    carry = start < data.length ? Buffer.from(data.subarray(start)) : Buffer.alloc(0);
  }
  if (carry.length > 0) {
    line += 1;
    yield { line, bytes: carry };
  }
}
