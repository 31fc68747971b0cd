/** Reading values out of parsed JSON (`unknown`) without trusting its shape. */

export type JsonObject = { readonly [key: string]: unknown };

/** A plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a key path (`['request', 'headers', 'host']`), `undefined` where the path breaks. */
export function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Present means neither absent nor JSON `null`. */
export function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** A non-empty string, trimmed; `undefined` for anything else. */
export function nonEmptyText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A finite number, from a number or a numeric string. */
export function finiteNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d+(?:\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/**
 * A header value by case-insensitive name (`name` given in lower case). Kong logs repeated headers as
 * arrays: the first string wins.
 */
export function headerValue(headers: unknown, name: string): string | undefined {
  if (!isObject(headers)) return undefined;
  let value = headers[name];
  if (value === undefined) {
    for (const key in headers) {
      if (key.length === name.length && key.toLowerCase() === name) {
        value = headers[key];
        break;
      }
    }
  }
  if (Array.isArray(value)) value = value.find((item) => typeof item === 'string');
  return nonEmptyText(value);
}

/** `JSON.stringify` that reports failure (values nested too deeply for the stack) as `undefined`. */
export function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
