/**
 * Tells a store error that retrying cannot fix (ClickHouse refused the rows themselves: they do not
 * parse, break a type, a constraint or an insert limit) from an outage (connection refused or reset,
 * timeouts, memory, too many parts waiting for merges, read-only replicas), which is retried.
 */
/** ClickHouse error types that say "these rows", not "this server right now". */
const REFUSED_ROWS = new Set([
  'TYPE_MISMATCH',
  'VIOLATED_CONSTRAINT',
  'INCORRECT_DATA',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'CANNOT_CONVERT_TYPE',
  'ILLEGAL_TYPE_OF_ARGUMENT',
  'TOO_LARGE_STRING_SIZE',
  'TOO_LARGE_ARRAY_SIZE',
  'ARGUMENT_OUT_OF_BOUND',
  'INCORRECT_NUMBER_OF_COLUMNS',
  'UNKNOWN_FIELD',
  'DECIMAL_OVERFLOW',
]);

/** True when the store refused the rows for good; false for anything worth retrying. */
export function isRowsRejection(error: unknown): boolean {
  const type = clickHouseErrorType(error);
  if (type === undefined) return false;
  if (REFUSED_ROWS.has(type) || type.startsWith('CANNOT_PARSE') || type.startsWith('CANNOT_READ')) return true;
  // TOO_MANY_PARTS is also "merges are behind" (an outage that passes); only the per-insert limit is about the rows.
  return type === 'TOO_MANY_PARTS' && /single INSERT block/i.test((error as Error).message);
}

/**
 * The error type ClickHouse answered with, or undefined for anything else (a socket error, a timeout
 * of the client). Read from the fields rather than by class: the embedded engine's connection throws
 * its own copy of the client's ClickHouseError class.
 */
function clickHouseErrorType(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { type, code } = error as Error & { type?: unknown; code?: unknown };
  return typeof type === 'string' && /^\d+$/.test(String(code)) ? type : undefined;
}
