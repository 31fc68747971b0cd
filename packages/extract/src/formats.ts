/**
 * The gateway formats of gateway-logs.md §2, each as a table of where its fields are, plus the
 * configurable field mapping for other JSON shapes. Readers return raw values; the extractor checks them.
 */
import { headerValue, isPresent, nonEmptyText, valueAt, type JsonObject } from './fields.js';
import type { FieldMapping, FormatChoice } from './options.js';
import { epochMillisTime, flexibleTime } from './time.js';

export type GatewayName = 'apisix' | 'kong' | 'flat' | 'mapped';

type Getter = (record: JsonObject) => unknown;

export interface GatewayFormat {
  readonly name: GatewayName;
  /** The record carries this format's tell-tale fields. */
  detect(record: JsonObject): boolean;
  method: Getter;
  /** The request target: path, maybe with a query string. */
  target: Getter;
  status: Getter;
  time: Getter;
  /** Epoch milliseconds of a present time value, `undefined` when unreadable. */
  parseTime(value: unknown): number | undefined;
  latency: Getter;
  /** The response body. */
  body: Getter;
  requestBody: Getter;
  /** Request id by the precedence of gateway-logs.md §4, `""` if none. */
  requestId(record: JsonObject): string;
  /** Tenant when the path has none: request header `x-project-id`, then the gateway consumer. */
  tenantFallback(record: JsonObject): string | undefined;
  /** Service / route names and hosts, tested against the service pattern. */
  serviceLabels(record: JsonObject): unknown[];
}

const at =
  (...path: string[]): Getter =>
  (record) =>
    valueAt(record, path);

const firstPresent =
  (...getters: Getter[]): Getter =>
  (record) => {
    for (const getter of getters) {
      const value = getter(record);
      if (isPresent(value)) return value;
    }
    return undefined;
  };

const absent: Getter = () => undefined;

/** Where a format keeps headers and its own request id and consumer. */
interface Identity {
  requestHeaders: Getter;
  responseHeaders: Getter;
  ownRequestId: Getter;
  consumer: Getter;
}

function requestIdReader({ requestHeaders, responseHeaders, ownRequestId }: Identity): (record: JsonObject) => string {
  return (record) => {
    const response = responseHeaders(record);
    return (
      headerValue(response, 'x-openstack-request-id') ??
      headerValue(response, 'x-compute-request-id') ??
      headerValue(response, 'x-request-id') ??
      headerValue(requestHeaders(record), 'x-request-id') ??
      nonEmptyText(ownRequestId(record)) ??
      ''
    );
  };
}

function tenantFallbackReader({ requestHeaders, consumer }: Identity): (record: JsonObject) => string | undefined {
  return (record) => headerValue(requestHeaders(record), 'x-project-id') ?? nonEmptyText(consumer(record));
}

function labelsReader(getters: Getter[]): (record: JsonObject) => unknown[] {
  return (record) => getters.map((getter) => getter(record));
}

const gatewayIdentity = (ownRequestId: Getter): Identity => ({
  requestHeaders: at('request', 'headers'),
  responseHeaders: at('response', 'headers'),
  ownRequestId,
  consumer: at('consumer', 'username'),
});

const requestHost: Getter = (record) => headerValue(valueAt(record, ['request', 'headers']), 'host');

const apisixIdentity = gatewayIdentity(absent);

/** Apache APISIX `kafka-logger` (`apisix/utils/log-util.lua`). */
const apisix: GatewayFormat = {
  name: 'apisix',
  detect: (record) =>
    isPresent(valueAt(record, ['request', 'uri'])) && isPresent(valueAt(record, ['response', 'status'])) && isPresent(record.start_time),
  method: at('request', 'method'),
  target: at('request', 'uri'),
  status: at('response', 'status'),
  time: at('start_time'),
  parseTime: epochMillisTime,
  latency: at('latency'),
  body: at('response', 'body'),
  requestBody: at('request', 'body'),
  requestId: requestIdReader(apisixIdentity),
  tenantFallback: tenantFallbackReader(apisixIdentity),
  serviceLabels: labelsReader([at('service_id'), at('route_id'), requestHost]),
};

const kongIdentity = gatewayIdentity(at('request', 'id'));

/** Kong's log serializer (`kong/pdk/log.lua`). */
const kong: GatewayFormat = {
  name: 'kong',
  detect: (record) => isPresent(record.started_at) && isPresent(valueAt(record, ['response', 'status'])) && isPresent(record.latencies),
  method: at('request', 'method'),
  target: firstPresent(at('upstream_uri'), at('request', 'uri')),
  status: at('response', 'status'),
  time: at('started_at'),
  parseTime: epochMillisTime,
  latency: at('latencies', 'request'),
  body: at('response', 'body'),
  requestBody: at('request', 'body'),
  requestId: requestIdReader(kongIdentity),
  tenantFallback: tenantFallbackReader(kongIdentity),
  serviceLabels: labelsReader([at('service', 'name'), at('route', 'name'), at('service', 'host'), requestHost]),
};

const flatIdentity: Identity = {
  requestHeaders: absent,
  responseHeaders: absent,
  ownRequestId: firstPresent(at('request_id'), at('x_request_id')),
  consumer: at('consumer', 'username'),
};
const flatStatus = firstPresent(at('status'), at('response_code'), at('status_code'));

/** nginx `log_format escape=json`, Envoy `json_format` and similar one-level records. */
const flat: GatewayFormat = {
  name: 'flat',
  detect: (record) => isPresent(flatStatus(record)),
  method: firstPresent(at('method'), at('request_method')),
  target: firstPresent(at('path'), at('uri'), at('request_uri'), at('upstream_uri')),
  status: flatStatus,
  time: firstPresent(at('start_time'), at('time'), at('timestamp'), at('@timestamp')),
  parseTime: flexibleTime,
  latency: firstPresent(at('duration'), at('latency_ms')),
  body: firstPresent(at('resp_body'), at('response_body'), at('body')),
  requestBody: at('request_body'),
  requestId: requestIdReader(flatIdentity),
  tenantFallback: tenantFallbackReader(flatIdentity),
  serviceLabels: labelsReader([at('service'), at('upstream_cluster'), at('route_name'), at('host'), at('authority')]),
};

/** A format read through a configured field mapping (our field → dotted path). */
export function mappedFormat(mapping: FieldMapping): GatewayFormat {
  const path = (dotted: string | undefined): Getter => (dotted === undefined ? absent : at(...dotted.split('.')));
  const identity: Identity = {
    requestHeaders: absent,
    responseHeaders: absent,
    ownRequestId: path(mapping.request_id),
    consumer: path(mapping.tenant),
  };
  const status = path(mapping.status);
  return {
    name: 'mapped',
    detect: (record) => isPresent(status(record)),
    method: path(mapping.method),
    target: path(mapping.path),
    status,
    time: path(mapping.time),
    parseTime: flexibleTime,
    latency: path(mapping.latency_ms),
    body: path(mapping.body),
    requestBody: path(mapping.request_body),
    requestId: requestIdReader(identity),
    tenantFallback: tenantFallbackReader(identity),
    serviceLabels: labelsReader([path(mapping.service), path(mapping.host)]),
  };
}

export const BUILT_IN_FORMATS: readonly GatewayFormat[] = [apisix, kong, flat];

/**
 * The format of each record: forced by configuration, or detected in the order apisix, kong, flat,
 * then the field mapping when one is configured. `undefined` when nothing fits.
 */
export function formatSelector(choice: FormatChoice, mapping: FieldMapping | undefined): (record: JsonObject) => GatewayFormat | undefined {
  const mapped = mapping === undefined ? undefined : mappedFormat(mapping);
  if (choice !== 'auto') {
    const forced = choice === 'mapped' ? mapped : BUILT_IN_FORMATS.find((format) => format.name === choice);
    if (forced === undefined) throw new Error(`format '${choice}' is not available`);
    return () => forced;
  }
  const candidates = mapped === undefined ? BUILT_IN_FORMATS : [...BUILT_IN_FORMATS, mapped];
  return (record) => candidates.find((format) => format.detect(record));
}
