/**
 * A Kafka message value (or a line of a file) → its records (gateway-logs.md §1): one JSON object, a
 * JSON array of objects, or objects on separate lines. What cannot be read becomes a dead outcome
 * with the reason; in arrays and multi-line messages the good records are kept.
 */
import { Buffer } from 'node:buffer';
import type { DeadReason, RecordOutcome } from './event.js';
import { isObject, safeStringify, type JsonObject } from './fields.js';

export type DeadOutcome = Extract<RecordOutcome, { kind: 'dead' }>;

export interface RecordPart {
  kind: 'record';
  record: JsonObject;
  /** The record's own input when it was the whole message or line; else derived on demand. */
  raw: string | Uint8Array | undefined;
}

export type MessagePart = RecordPart | DeadOutcome;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const NEWLINE = 0x0a;

export function dead(reason: DeadReason, detail: string, raw: string | Uint8Array): DeadOutcome {
  return { kind: 'dead', reason, detail, raw };
}

/** Splits a message into records. Details never quote the input (it may hold secrets). */
export function splitMessage(value: string | Uint8Array, maxBytes: number): MessagePart[] {
  const size = byteLengthAbove(value, maxBytes);
  if (size !== undefined) return [dead('too_large', `the message has ${size} bytes, above the limit of ${maxBytes}`, value)];
  if (typeof value === 'string') return partsOfText(value.charCodeAt(0) === 0xfeff ? value.slice(1) : value, value);
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return partsOfInvalidUtf8(value);
  }
  return partsOfText(text, value);
}

/** The byte size when it is above the limit, computed only when the string length leaves doubt. */
function byteLengthAbove(value: string | Uint8Array, maxBytes: number): number | undefined {
  if (typeof value !== 'string') return value.byteLength > maxBytes ? value.byteLength : undefined;
  if (value.length * 3 <= maxBytes) return undefined; // a UTF-16 unit is at most 3 UTF-8 bytes
  const size = Buffer.byteLength(value, 'utf8');
  return size > maxBytes ? size : undefined;
}

function partsOfText(text: string, raw: string | Uint8Array): MessagePart[] {
  if (isBlank(text)) return [dead('empty', 'the message is empty', raw)];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    if (!text.includes('\n')) return [dead('invalid_json', 'the message is not JSON', raw)];
    return text.split('\n').flatMap((line, index) => partsOfLine(line, index + 1));
  }
  return partsOfValue(parsed, raw, 'the message');
}

/** One line of a multi-line message; blank lines separate nothing and are not records. */
function partsOfLine(line: string, lineNumber: number): MessagePart[] {
  if (isBlank(line)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return [dead('invalid_json', `line ${lineNumber} of the message is not JSON`, line)];
  }
  return partsOfValue(parsed, line, `line ${lineNumber} of the message`);
}

/** A message with bytes that are not UTF-8: only its lines that are UTF-8 can still be read. */
function partsOfInvalidUtf8(bytes: Uint8Array): MessagePart[] {
  if (bytes.indexOf(NEWLINE) < 0) return [dead('invalid_utf8', 'the message is not UTF-8', bytes)];
  const parts: MessagePart[] = [];
  let lineNumber = 0;
  for (let start = 0; start <= bytes.length; ) {
    const newline = bytes.indexOf(NEWLINE, start);
    const end = newline < 0 ? bytes.length : newline;
    const lineBytes = bytes.subarray(start, end);
    lineNumber++;
    start = end + 1;
    let line: string;
    try {
      line = utf8.decode(lineBytes);
    } catch {
      parts.push(dead('invalid_utf8', `line ${lineNumber} of the message is not UTF-8`, lineBytes));
      continue;
    }
    for (const part of partsOfLine(line, lineNumber)) parts.push(part);
  }
  return parts;
}

function partsOfValue(value: unknown, raw: string | Uint8Array, where: string): MessagePart[] {
  if (isObject(value)) return [{ kind: 'record', record: value, raw }];
  if (!Array.isArray(value)) return [dead('not_an_object', `${where} is ${kindOf(value)}, not an object or an array of objects`, raw)];
  if (value.length === 0) return [dead('empty', `${where} is an empty array`, raw)];
  return value.map((element: unknown, index): MessagePart => {
    if (isObject(element)) return { kind: 'record', record: element, raw: undefined };
    const detail = `element ${index + 1} of ${where} is ${kindOf(element)}, not an object`;
    // An element nested too deeply to serialise again is kept as the whole message.
    return dead('not_an_object', detail, safeStringify(element) ?? raw);
  });
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char !== 0x20 && char !== 0x09 && char !== 0x0a && char !== 0x0d) return false;
  }
  return true;
}
