/**
 * The enriched error event: field names are a contract (CLI output, API, stored columns).
 * See docs/PRODUCT.md of the product brief. Fields are declared (and events built) in their
 * serialised order.
 */
export interface ErrorEvent {
  code: string;
  message: string;
  status: number;
  tenant: string;
  method: string;
  path: string;
  route: string;
  operation: string;
  request_id: string;
  /** ISO-8601 UTC with milliseconds. */
  ts: string;
  known: boolean;
  catalog_status: number;
  status_mismatch: boolean;
  unused: boolean;
  description: string;
  solution: string;
  params: string[];
  gateway: string;
  latency_ms: number | null;
}

/** One request to the backup service (any status): the denominator of error rates. */
export interface RequestSample {
  /** ISO-8601 UTC with milliseconds; consumers bucket it by minute. */
  ts: string;
  tenant: string;
  operation: string;
  status: number;
}

/** Why a record was read but is not a backup-service request. */
export type SkipReason = 'other_service';

/** Why a record (or a whole message) could not be read; such input is dead-lettered. */
export type DeadReason =
  | 'empty'
  | 'too_large'
  | 'invalid_utf8'
  | 'invalid_json'
  | 'not_an_object'
  | 'unknown_format'
  | 'missing_fields'
  /** A field is there but unusable: a status that is no HTTP status, a time that is no time. */
  | 'invalid_fields'
  /** A fault of the extractor itself, caught so that one record cannot stop the others. */
  | 'internal_error'
  /** Set by the ingest worker, not the extractor: the record's time is older than the store keeps (RETENTION_DAYS). */
  | 'too_old'
  /** Set by the ingest worker: the record's time is further ahead than INGEST_MAX_FUTURE_MS (a gateway with a wrong clock). */
  | 'too_far_in_future';

/** What became of one record. Every record of a message ends as exactly one outcome. */
export type RecordOutcome =
  | { kind: 'event'; event: ErrorEvent; request: RequestSample }
  | { kind: 'request'; request: RequestSample }
  | { kind: 'skip'; reason: SkipReason }
  /** `raw` is the unreadable input: the record's own text, or the whole message when it could not be split. */
  | { kind: 'dead'; reason: DeadReason; detail: string; raw: Uint8Array | string };
