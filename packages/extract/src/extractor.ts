/**
 * Gateway log message → one outcome per record: an enriched error event (with its request sample),
 * a request sample, a skip, or a dead letter. Pure: no I/O, never throws on input.
 */
import { loadDefaultCatalog } from '@csbs-errors/catalog';
import { readErrorBody } from './bodies.js';
import { dead, splitMessage, type DeadOutcome, type RecordPart } from './envelope.js';
import type { DeadReason, ErrorEvent, RecordOutcome, RequestSample } from './event.js';
import { finiteNumber, isPresent, nonEmptyText, safeStringify, type JsonObject } from './fields.js';
import { formatSelector, type GatewayFormat } from './formats.js';
import { extractorOptionsSchema, type ExtractorOptions } from './options.js';
import { matchRoute } from './routes.js';
import { toIsoTimestamp } from './time.js';

export interface Extractor {
  /** Every record of the message ends as exactly one outcome, in message order. */
  extractMessage(value: string | Uint8Array): RecordOutcome[];
}

const OTHER_SERVICE: RecordOutcome = Object.freeze({ kind: 'skip', reason: 'other_service' });

/** Builds an extractor; the options are validated (a bad configuration throws a zod error). */
export function createExtractor(options: ExtractorOptions = {}): Extractor {
  const config = extractorOptionsSchema.parse(options);
  const catalog = config.catalog ?? loadDefaultCatalog();
  const selectFormat = formatSelector(config.format, config.fieldMapping);
  // A global or sticky pattern keeps state between `test` calls: use a stateless copy.
  const servicePattern = new RegExp(config.servicePattern.source, config.servicePattern.flags.replace(/[gy]/g, ''));
  const belongsToService = (format: GatewayFormat, record: JsonObject): boolean =>
    format.serviceLabels(record).some((label) => typeof label === 'string' && servicePattern.test(label));

  function extractRecord(part: RecordPart): RecordOutcome {
    const { record } = part;
    const format = selectFormat(record);
    if (format === undefined) return deadRecord(part, 'unknown_format', 'the record is neither apisix, kong nor flat (and no field mapping fits)');

    // Whether the record is ours is decided first: other services' records are skipped, however odd.
    const target = format.target(record);
    if (!isPresent(target)) return deadRecord(part, 'missing_fields', `${format.name} record without a request path`);
    if (typeof target !== 'string' || target.trim() === '') return deadRecord(part, 'invalid_fields', `${format.name} record whose path is not a string`);
    const path = pathOf(target);
    const route = matchRoute(nonEmptyText(format.method(record)) ?? '', path, format.requestBody(record));
    if (!route.known && !belongsToService(format, record)) return OTHER_SERVICE;

    const fields = readRequiredFields(format, record);
    if ('problem' in fields) return deadRecord(part, fields.reason, `${format.name} record ${fields.problem}`);
    const { method, status, epochMs } = fields;
    const tenant = route.tenant ?? format.tenantFallback(record) ?? 'unknown';
    const request: RequestSample = { ts: toIsoTimestamp(epochMs), tenant, operation: route.operation, status };
    if (status < 400) return { kind: 'request', request };

    const { code, message } = readErrorBody(format.body(record), status);
    const match = catalog.lookup(code, message, status);
    const event: ErrorEvent = {
      code,
      message,
      status,
      tenant,
      method,
      path,
      route: route.route,
      operation: route.operation,
      request_id: format.requestId(record),
      ts: request.ts,
      known: match !== undefined,
      catalog_status: match?.row.status ?? 0,
      status_mismatch: match !== undefined && match.row.status !== status,
      unused: match?.row.unused ?? false,
      description: match?.row.description ?? '',
      solution: match?.row.solution ?? '',
      params: match?.params ?? [],
      gateway: format.name,
      latency_ms: finiteNumber(format.latency(record)) ?? null,
    };
    return { kind: 'event', event, request };
  }

  /** A fault in reading one record must not lose the others of its message. */
  function extractSafely(part: RecordPart): RecordOutcome {
    try {
      return extractRecord(part);
    } catch (error) {
      return deadRecord(part, 'internal_error', `extractor fault: ${error instanceof Error ? error.name : 'error'}`);
    }
  }

  return {
    extractMessage: (value) => splitMessage(value, config.maxMessageBytes).map((part) => (part.kind === 'record' ? extractSafely(part) : part)),
  };
}

type RequiredFields = { method: string; status: number; epochMs: number } | { reason: 'missing_fields' | 'invalid_fields'; problem: string };

/** Method, status and time: without them a record of ours cannot be counted. */
function readRequiredFields(format: GatewayFormat, record: JsonObject): RequiredFields {
  const methodValue = format.method(record);
  if (!isPresent(methodValue)) return { reason: 'missing_fields', problem: 'without a method' };
  const method = nonEmptyText(methodValue);
  if (method === undefined) return { reason: 'invalid_fields', problem: 'whose method is not a string' };
  const statusValue = format.status(record);
  if (!isPresent(statusValue)) return { reason: 'missing_fields', problem: 'without a status' };
  const status = httpStatus(statusValue);
  if (status === undefined) return { reason: 'invalid_fields', problem: 'whose status is not an HTTP status' };
  const timeValue = format.time(record);
  if (!isPresent(timeValue)) return { reason: 'missing_fields', problem: 'without a time' };
  const epochMs = format.parseTime(timeValue);
  if (epochMs === undefined) return { reason: 'invalid_fields', problem: 'whose time cannot be read' };
  return { method, status, epochMs };
}

function deadRecord(part: RecordPart, reason: DeadReason, detail: string): DeadOutcome {
  return dead(reason, detail, part.raw ?? safeStringify(part.record) ?? '');
}

/**
 * The path of a request target: no query string, and no scheme, credentials or host when a full URL
 * (`https://user:password@host/v1/...`) or a network-path reference with credentials
 * (`//user:password@host/v1/...`) was logged: a password must never reach the store. A plain
 * `//v1/...` (an empty first segment, as nginx logs a doubled slash) stays a path.
 */
function pathOf(target: string): string {
  let path = target.trim();
  const query = path.indexOf('?');
  if (query >= 0) path = path.slice(0, query);
  const authority = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)?\/\/[^/]*/.exec(path);
  if (authority !== null && (!path.startsWith('/') || authority[0].includes('@'))) path = path.slice(authority[0].length) || '/';
  return path;
}

function httpStatus(value: unknown): number | undefined {
  const status = finiteNumber(value);
  return status !== undefined && Number.isInteger(status) && status >= 100 && status <= 599 ? status : undefined;
}
