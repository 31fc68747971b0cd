/**
 * The error body of a response (status >= 400) → `code` and `message`, following the body table of
 * gateway-logs.md. Anything that is not a recognisable error body gives `HTTP.<status>` with an empty
 * message; this module never fails.
 */
import { isObject, isPresent, nonEmptyText, safeStringify, type JsonObject } from './fields.js';

export interface ErrorIdentity {
  code: string;
  message: string;
}

/** `body` is the record's response body: JSON text (the usual case), an object, or absent. */
export function readErrorBody(body: unknown, status: number): ErrorIdentity {
  const httpCode = `HTTP.${status}`;
  if (typeof body === 'string') return fromText(body, httpCode);
  if (isObject(body)) return fromObject(body, httpCode);
  return { code: httpCode, message: '' };
}

function fromText(text: string, httpCode: string): ErrorIdentity {
  // Only an object can be an error body: HTML, plain text, undecodable bytes and empty bodies stop here
  // without a parse attempt.
  if (!startsWithBrace(text)) return { code: httpCode, message: '' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fromTruncated(text, httpCode);
  }
  return isObject(parsed) ? fromObject(parsed, httpCode) : { code: httpCode, message: '' };
}

function startsWithBrace(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    // JSON whitespace: space, tab, line feed, carriage return.
    if (char !== 0x20 && char !== 0x09 && char !== 0x0a && char !== 0x0d) return char === 0x7b; // '{'
  }
  return false;
}

function fromObject(body: JsonObject, httpCode: string): ErrorIdentity {
  // CSBS / Huawei style: {"error_code": "CSBS.6006", "error_msg": "..."}
  const errorCode = nonEmptyText(body.error_code);
  if (errorCode !== undefined) return { code: errorCode, message: messageText(body.error_msg) };

  const error = body.error;
  if (isObject(error)) {
    // {"error": {"code": "X", "message": M}}
    const code = nonEmptyText(error.code);
    if (code !== undefined) return { code, message: messageText(error.message) };
    // Keystone: {"error": {"code": 401, "title": "Unauthorized", "message": M}}
    if (Number.isInteger(error.code)) return { code: httpCode, message: messageText(error.message) };
  }

  const keys = Object.keys(body);
  // Karbor (webob) fault: {"itemNotFound": {"code": 404, "message": M}}
  if (keys.length === 1) {
    const faultName = keys[0] ?? '';
    const fault = body[faultName];
    if (isObject(fault) && Number.isInteger(fault.code)) return { code: `KARBOR.${faultName}`, message: messageText(fault.message) };
  }

  // webob's own: {"message": M, "code": "404 Not Found", "title": "Not Found"}
  if (isPresent(body.message) && typeof body.code === 'string' && /^\d{3}\b/.test(body.code) && isPresent(body.title)) {
    return { code: httpCode, message: messageText(body.message) };
  }

  // The gateway's own: APISIX {"error_msg": M}, Kong {"message": M} (Kong 3 adds "request_id").
  const ownKeys = keys.filter((key) => key !== 'request_id');
  if (ownKeys.length === 1 && (ownKeys[0] === 'error_msg' || ownKeys[0] === 'message')) {
    return { code: httpCode, message: messageText(body[ownKeys[0]]) };
  }
  return { code: httpCode, message: '' };
}

/** `M` as sent: a string unchanged, anything else as its JSON text (`""` when absent). */
function messageText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  // A value nested too deeply to serialise has no useful text either.
  return safeStringify(value) ?? '';
}

/**
 * A JSON body cut short by the gateway (no marker): a complete `"error_code":"X"` is still the code,
 * and whatever of `error_msg` made it in is the message.
 */
function fromTruncated(text: string, httpCode: string): ErrorIdentity {
  const code = stringMemberOf(text, 'error_code');
  if (code === undefined || !code.closed) return { code: httpCode, message: '' };
  const trimmed = code.value.trim();
  if (trimmed === '') return { code: httpCode, message: '' };
  return { code: trimmed, message: stringMemberOf(text, 'error_msg')?.value ?? '' };
}

interface JsonStringRead {
  value: string;
  /** The closing quote was found (the string is complete). */
  closed: boolean;
}

/** The string value of `"key": "..."` anywhere in a (possibly truncated) JSON text. */
function stringMemberOf(text: string, key: string): JsonStringRead | undefined {
  const quotedKey = `"${key}"`;
  for (let at = text.indexOf(quotedKey); at >= 0; at = text.indexOf(quotedKey, at + 1)) {
    let i = skipWhitespace(text, at + quotedKey.length);
    if (text[i] !== ':') continue;
    i = skipWhitespace(text, i + 1);
    if (text[i] !== '"') continue;
    return readJsonString(text, i + 1);
  }
  return undefined;
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Decodes JSON string content from `start` up to the closing quote or the end of the text. */
function readJsonString(text: string, start: number): JsonStringRead {
  let value = '';
  let i = start;
  while (i < text.length) {
    const char = text[i] ?? '';
    if (char === '"') return { value, closed: true };
    if (char !== '\\') {
      const plainEnd = nextSpecial(text, i);
      value += text.slice(i, plainEnd);
      i = plainEnd;
      continue;
    }
    const escape = text[i + 1];
    if (escape === undefined) break; // cut right after the backslash
    if (escape === 'u') {
      const hex = text.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) break; // cut inside \uXXXX (or malformed): stop there
      value += String.fromCharCode(Number.parseInt(hex, 16));
      i += 6;
      continue;
    }
    const decoded = ESCAPES[escape];
    if (decoded === undefined) break;
    value += decoded;
    i += 2;
  }
  return { value, closed: false };
}

function nextSpecial(text: string, from: number): number {
  let i = from;
  while (i < text.length && text[i] !== '"' && text[i] !== '\\') i++;
  return i;
}
