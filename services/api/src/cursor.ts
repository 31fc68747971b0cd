/**
 * The opaque cursor of GET /v1/events: the sort key of the last event of a page, (ts,
 * source_topic, source_partition, source_offset, source_index), plus a digest of the query it
 * belongs to, plus a check value; JSON, base64url-encoded. The events are read newest first, so the
 * next page is everything strictly below that key (keyset pagination: no offsets, stable while new
 * events arrive).
 *
 * The check value is a truncated SHA-256 over the rest: a cursor that was edited, cut or made up is a
 * 400, and so is one used with other filters. It is not a secret and needs none: a forged cursor
 * could only move the position inside the caller's own filters (a tenant token's tenant is forced).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ParameterError } from './problem.js';

export interface CursorKey {
  ts: number;
  topic: string;
  partition: number;
  offset: string;
  index: number;
}

/** [body, check value]: what the client holds, base64url-encoded. */
const cursorEnvelope = z.tuple([z.string(), z.string()]);

const uint32 = z.number().int().min(0).max(0xffffffff);

/** [version, ts, topic, partition, offset, index, query digest], as encodeCursor writes it. */
const cursorBody = z.tuple([
  z.literal(1),
  z.number().int().min(0).max(4_102_444_800_000),
  z.string(),
  uint32,
  z.string().refine((offset) => /^\d{1,20}$/.test(offset) && BigInt(offset) <= 0xffffffffffffffffn),
  uint32,
  z.string(),
]);

const check = (body: string) => createHash('sha256').update(`csbs-errors/cursor/v1\n${body}`).digest('base64url').slice(0, 16);

export function queryDigest(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 12);
}

export function encodeCursor(key: CursorKey, query: string): string {
  const body = JSON.stringify([1, key.ts, key.topic, key.partition, key.offset, key.index, query]);
  return Buffer.from(JSON.stringify([body, check(body)]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string, query: string): CursorKey {
  const bad = (why: string) => new ParameterError('cursor', why);
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw bad('not a cursor from this API');
  let outer: unknown;
  try {
    outer = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad('not a cursor from this API');
  }
  const sealed = cursorEnvelope.safeParse(outer);
  if (!sealed.success) throw bad('not a cursor from this API');
  const [body, sum] = sealed.data;
  if (check(body) !== sum) throw bad('the cursor was altered');
  // The check value only proves the body came from whoever knows the scheme, not what it holds:
  // a body that is not ours (null, wrong types) is a 400 like any other bad cursor.
  let fields: unknown;
  try {
    fields = JSON.parse(body);
  } catch {
    throw bad('not a cursor from this API');
  }
  const parsed = cursorBody.safeParse(fields);
  if (!parsed.success) throw bad('not a cursor from this API');
  const [, ts, topic, partition, offset, index, owner] = parsed.data;
  if (owner !== query) throw bad('the cursor belongs to a query with other filters; start again without cursor');
  return { ts, topic, partition, offset, index };
}
