/**
 * Input files read line by line as bytes: plain or gzip (told by the magic bytes, whatever the name),
 * or stdin for `-`. Lines are not decoded here: invalid UTF-8 must reach the extraction as it came.
 */
import { Buffer } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** The file's bytes (or stdin's), gunzipped when they start with the gzip magic bytes, whatever the name. */
export async function* inputChunks(file: string): AsyncGenerator<Buffer> {
  const source: Readable = file === '-' ? process.stdin : createReadStream(file);
  const chunks: AsyncIterator<Buffer> = source[Symbol.asyncIterator]();
  try {
    let head = Buffer.alloc(0);
    while (head.length < GZIP_MAGIC.length) {
      const next = await chunks.next();
      if (next.done) break;
      head = Buffer.concat([head, next.value]);
    }
    const all = (async function* () {
      if (head.length > 0) yield head;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
    })();
    if (head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) {
      yield* all;
      return;
    }
    const compressed = Readable.from(all);
    const gunzip = createGunzip();
    compressed.on('error', (error) => gunzip.destroy(error));
    yield* compressed.pipe(gunzip);
  } finally {
    if (file !== '-') source.destroy();
  }
}

/**
 * Cuts a byte stream into lines (LF, an optional CR before it dropped). A line longer than the message
 * limit is not kept whole: only its first limit + 1 bytes are passed on, which the extractor
 * dead-letters as too large, so one huge line cannot exhaust memory.
 */
export class LineSplitter {
  readonly #maxBytes: number;
  readonly #onLine: (line: Buffer) => void;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #started = false;

  constructor(maxMessageBytes: number, onLine: (line: Buffer) => void) {
    this.#maxBytes = maxMessageBytes;
    this.#onLine = onLine;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline >= 0; newline = chunk.indexOf(0x0a, start)) {
      this.#keep(chunk.subarray(start, newline));
      this.#emit();
      start = newline + 1;
    }
    if (start < chunk.length) this.#keep(chunk.subarray(start));
  }

  /** The last line, when the input does not end with a newline. */
  end(): void {
    if (this.#started) this.#emit();
  }

  #keep(part: Buffer): void {
    this.#started = true;
    const room = this.#maxBytes + 1 - this.#pendingBytes;
    if (room <= 0) return;
    const kept = part.length > room ? part.subarray(0, room) : part;
    this.#pending.push(kept);
    this.#pendingBytes += kept.length;
  }

  #emit(): void {
    let line = this.#pending.length === 1 ? (this.#pending[0] ?? Buffer.alloc(0)) : Buffer.concat(this.#pending);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#started = false;
    this.#onLine(line);
  }
}

/** The lines of a file (see LineSplitter for lines longer than `maxLineBytes`). */
export async function* readLines(file: string, maxLineBytes = Number.POSITIVE_INFINITY): AsyncGenerator<Buffer> {
  const ready: Buffer[] = [];
  const splitter = new LineSplitter(maxLineBytes, (line) => ready.push(line));
  for await (const chunk of inputChunks(file)) {
    splitter.push(chunk);
    yield* ready.splice(0);
  }
  splitter.end();
  yield* ready;
}
