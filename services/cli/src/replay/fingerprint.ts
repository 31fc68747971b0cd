/**
 * A file's identity for replays: the SHA-256 of its content (gunzipped, so that a log and its .gz
 * are the same file) and its number of lines, counted as `readLines` cuts them.
 */
import { createHash } from 'node:crypto';
import { inputChunks } from '../lines.js';

export interface Fingerprint {
  sha256: string;
  lines: number;
}

export async function fingerprint(file: string): Promise<Fingerprint> {
  const hash = createHash('sha256');
  let newlines = 0;
  let lastByte: number | undefined;
  for await (const chunk of inputChunks(file)) {
    hash.update(chunk);
    for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) newlines++;
    if (chunk.length > 0) lastByte = chunk[chunk.length - 1];
  }
  // A last line without a newline is a line too.
  const lines = newlines + (lastByte !== undefined && lastByte !== 0x0a ? 1 : 0);
  return { sha256: hash.digest('hex'), lines };
}
