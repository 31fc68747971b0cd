/**
 * A demo request as each gateway logs it: APISIX `kafka-logger`, Kong's log serializer, and a flat
 * JSON access log (Envoy/nginx style), with the fields the real ones carry (see the shared samples).
 * Tokens and client addresses are made up, as a real log would carry them: the extractor drops them.
 */
import type { Random } from './random.js';

export interface DemoRequest {
  /** Epoch ms. */
  ts: number;
  method: string;
  path: string;
  requestBody?: string;
  status: number;
  /** Response body as logged (a JSON text); undefined for none. */
  body: string | undefined;
  latencyMs: number;
  requestId: string;
  /** The upstream service: `csbs` or another one behind the same gateway. */
  service: string;
  host: string;
}

export type GatewayFormat = 'apisix' | 'kong' | 'flat';

const clientIp = (random: Random) => `203.0.113.${1 + random.int(254)}`;
const token = (random: Random) => `MIIZdemo${random.hex(24)}`;

export function apisixRecord(request: DemoRequest, random: Random): Record<string, unknown> {
  return {
    request: {
      url: `https://${request.host}:443${request.path}`,
      uri: request.path,
      method: request.method,
      querystring: {},
      size: 400 + random.int(1200),
      headers: { host: request.host, 'x-auth-token': token(random), 'user-agent': 'python-openstackclient' },
      ...(request.requestBody !== undefined ? { body: request.requestBody } : {}),
    },
    response: {
      status: request.status,
      size: 100 + random.int(800),
      headers: { 'content-type': 'application/json', 'x-request-id': request.requestId },
      ...(request.body !== undefined ? { body: request.body } : {}),
    },
    server: { hostname: `apigw-${1 + random.int(2)}`, version: '3.11.0' },
    upstream: `10.20.0.${10 + random.int(30)}:8799`,
    service_id: request.service,
    route_id: `${request.service}-v1`,
    client_ip: clientIp(random),
    start_time: request.ts + random.int(10) / 10,
    latency: request.latencyMs,
    upstream_latency: Math.max(0, Math.round(request.latencyMs - 2)),
    apisix_latency: 2.25,
  };
}

export function kongRecord(request: DemoRequest, random: Random): Record<string, unknown> {
  const prefixed = `/${request.service}${request.path}`;
  return {
    request: {
      id: random.hex(32),
      method: request.method,
      uri: prefixed,
      url: `https://api.example.com:443${prefixed}`,
      querystring: {},
      size: 400 + random.int(1600),
      headers: { host: request.host, 'x-auth-token': token(random), 'user-agent': 'python-openstackclient' },
    },
    response: {
      status: request.status,
      size: 100 + random.int(800),
      headers: { 'content-type': 'application/json', 'X-OpenStack-Request-Id': request.requestId },
      ...(request.body !== undefined ? { body: request.body } : {}),
    },
    latencies: { kong: 2, proxy: Math.max(0, Math.round(request.latencyMs - 3)), request: Math.round(request.latencyMs) },
    service: { id: random.uuid(), name: request.service, host: `${request.service}.internal`, path: '/' },
    route: { id: random.uuid(), name: `${request.service}-v1`, paths: [`/${request.service}`], strip_path: true },
    consumer: null,
    client_ip: clientIp(random),
    started_at: request.ts,
    source: request.status >= 502 && request.body === undefined ? 'kong' : 'service',
    workspace_name: 'default',
    upstream_uri: request.path,
  };
}

export function flatRecord(request: DemoRequest, random: Random): Record<string, unknown> {
  return {
    timestamp: new Date(request.ts).toISOString(),
    method: request.method,
    path: request.path,
    response_code: String(request.status),
    request_id: request.requestId,
    duration: Math.round(request.latencyMs),
    authority: request.host,
    upstream_cluster: request.service,
    user_agent: random.pick(['python-openstackclient', 'terraform-provider-opentelekomcloud', 'console']),
    ...(request.body !== undefined ? { response_body: request.body } : {}),
  };
}

export const RECORD_OF: Record<GatewayFormat, (request: DemoRequest, random: Random) => Record<string, unknown>> = {
  apisix: apisixRecord,
  kong: kongRecord,
  flat: flatRecord,
};
