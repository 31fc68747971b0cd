/**
 * The CSBS and Karbor routes of `routes.md` → `route` and `operation`, and the id folding of paths that
 * match no route. Routes are compiled once into a trie over the segments after `/v1/{project_id}/`;
 * a literal segment is tried before the placeholder at the same position (`checkpoint_items/count`
 * is `count_backups`, not `get_backup`), falling back to the placeholder when the literal branch
 * leads nowhere.
 */
import { isObject } from './fields.js';

/** `check_protectable` / `check_restorable` by the request body's root key, else `check_capability`. */
const BY_REQUEST_BODY = Symbol('by request body');
type OperationSpec = string | typeof BY_REQUEST_BODY;

const CSBS_ROUTES: ReadonlyArray<readonly [method: string, route: string, operation: OperationSpec]> = [
  ['POST', '/v1/{project_id}/providers/{provider_id}/resources/{resource_id}/action', 'create_backup'],
  ['POST', '/v1/{project_id}/providers/{provider_id}/resources/action', BY_REQUEST_BODY],
  ['POST', '/v1/{project_id}/providers/{provider_id}/checkpoints', 'execute_policy'],
  ['DELETE', '/v1/{project_id}/providers/{provider_id}/checkpoints/{checkpoint_id}', 'delete_backup'],
  ['GET', '/v1/{project_id}/checkpoint_items', 'list_backups'],
  ['GET', '/v1/{project_id}/checkpoint_items/count', 'count_backups'],
  ['GET', '/v1/{project_id}/checkpoint_items/{checkpoint_item_id}', 'get_backup'],
  ['POST', '/v1/{project_id}/providers/{provider_id}/checkpoint_items/{checkpoint_item_id}/replicate', 'replicate_backup'],
  ['GET', '/v1/{project_id}/replication_capabilities', 'get_replication_capabilities'],
  ['POST', '/v1/{project_id}/policies', 'create_policy'],
  ['GET', '/v1/{project_id}/policies', 'list_policies'],
  ['GET', '/v1/{project_id}/policies/{policy_id}', 'get_policy'],
  ['PUT', '/v1/{project_id}/policies/{policy_id}', 'update_policy'],
  ['DELETE', '/v1/{project_id}/policies/{policy_id}', 'delete_policy'],
  ['POST', '/v1/{project_id}/restores', 'restore_backup'],
  ['GET', '/v1/{project_id}/quotas', 'get_quotas'],
];

/** Tag routes exist for two kinds: the literal segment and the operation names for each. */
const TAG_KINDS = [
  { kind: 'csbs_backup_policy', one: 'policy', many: 'policies' },
  { kind: 'csbs_backup', one: 'backup', many: 'backups' },
] as const;

const TAG_ROUTES = TAG_KINDS.flatMap(({ kind, one, many }) => [
  ['POST', `/v1/{project_id}/${kind}/{resource_id}/tags`, `add_${one}_tag`],
  ['POST', `/v1/{project_id}/${kind}/{resource_id}/tags/action`, `batch_${one}_tags`],
  ['POST', `/v1/{project_id}/${kind}/resource_instances/action`, `query_${many}_by_tag`],
  ['GET', `/v1/{project_id}/${kind}/tags`, `list_${one}_tags`],
  ['GET', `/v1/{project_id}/${kind}/{resource_id}/tags`, `get_${one}_tags`],
  ['DELETE', `/v1/{project_id}/${kind}/{resource_id}/tags/{key}`, `delete_${one}_tag`],
] as const);

const KARBOR_ROUTES: ReadonlyArray<readonly [method: string, route: string, operation: string]> = [
  ['GET', '/v1/{project_id}/providers', 'list_providers'],
  ['GET', '/v1/{project_id}/providers/{provider_id}', 'get_provider'],
  ['GET', '/v1/{project_id}/providers/{provider_id}/checkpoints', 'list_checkpoints'],
  ['GET', '/v1/{project_id}/providers/{provider_id}/checkpoints/{checkpoint_id}', 'get_checkpoint'],
  ['PUT', '/v1/{project_id}/providers/{provider_id}/checkpoints/{checkpoint_id}', 'reset_checkpoint_state'],
  ['POST', '/v1/{project_id}/providers/{provider_id}/checkpoints/action', 'copy_checkpoints'],
  ['GET', '/v1/{project_id}/plans', 'list_plans'],
  ['POST', '/v1/{project_id}/plans', 'create_plan'],
  ['GET', '/v1/{project_id}/plans/{plan_id}', 'get_plan'],
  ['PUT', '/v1/{project_id}/plans/{plan_id}', 'update_plan'],
  ['DELETE', '/v1/{project_id}/plans/{plan_id}', 'delete_plan'],
  ['GET', '/v1/{project_id}/restores', 'list_restores'],
  ['GET', '/v1/{project_id}/restores/{restore_id}', 'get_restore'],
  ['GET', '/v1/{project_id}/protectables', 'list_protectable_types'],
  ['GET', '/v1/{project_id}/protectables/{protectable_type}', 'get_protectable_type'],
  ['GET', '/v1/{project_id}/protectables/{protectable_type}/instances', 'list_protectable_instances'],
  ['GET', '/v1/{project_id}/protectables/{protectable_type}/instances/{resource_id}', 'get_protectable_instance'],
  ['GET', '/v1/{project_id}/triggers', 'list_triggers'],
  ['POST', '/v1/{project_id}/triggers', 'create_trigger'],
  ['GET', '/v1/{project_id}/triggers/{trigger_id}', 'get_trigger'],
  ['PUT', '/v1/{project_id}/triggers/{trigger_id}', 'update_trigger'],
  ['DELETE', '/v1/{project_id}/triggers/{trigger_id}', 'delete_trigger'],
  ['GET', '/v1/{project_id}/scheduled_operations', 'list_scheduled_operations'],
  ['POST', '/v1/{project_id}/scheduled_operations', 'create_scheduled_operation'],
  ['GET', '/v1/{project_id}/scheduled_operations/{scheduled_operation_id}', 'get_scheduled_operation'],
  ['DELETE', '/v1/{project_id}/scheduled_operations/{scheduled_operation_id}', 'delete_scheduled_operation'],
  ['GET', '/v1/{project_id}/operation_logs', 'list_operation_logs'],
  ['GET', '/v1/{project_id}/operation_logs/{operation_log_id}', 'get_operation_log'],
  ['GET', '/v1/{project_id}/verifications', 'list_verifications'],
  ['POST', '/v1/{project_id}/verifications', 'create_verification'],
  ['GET', '/v1/{project_id}/verifications/{verification_id}', 'get_verification'],
  ['GET', '/v1/{project_id}/os-services', 'list_services'],
  ['PUT', '/v1/{project_id}/os-services/{service_id}', 'update_service'],
  ['GET', '/v1/{project_id}/quotas/{quota_project_id}', 'get_quota'],
  ['PUT', '/v1/{project_id}/quotas/{quota_project_id}', 'update_quota'],
  ['DELETE', '/v1/{project_id}/quotas/{quota_project_id}', 'delete_quota'],
  ['GET', '/v1/{project_id}/quotas/{quota_project_id}/defaults', 'get_default_quotas'],
  ['GET', '/v1/{project_id}/quotas/{quota_project_id}/detail', 'get_quota_detail'],
  ['GET', '/v1/{project_id}/quota_classes/{quota_class_id}', 'get_quota_class'],
  ['PUT', '/v1/{project_id}/quota_classes/{quota_class_id}', 'update_quota_class'],
];

/** Every route of `routes.md`: method, route template, operation (or the request-body rule). */
const ROUTES: ReadonlyArray<readonly [method: string, route: string, operation: OperationSpec]> = [
  ...CSBS_ROUTES,
  ...TAG_ROUTES,
  ...KARBOR_ROUTES,
];

const ROUTE_PREFIX = '/v1/{project_id}/';
const UNKNOWN_OPERATION = 'unknown';

interface TrieNode {
  literals: Map<string, TrieNode>;
  placeholder: { name: string; node: TrieNode } | undefined;
  /** Set where a route ends: its template and its operation per method. */
  route: { template: string; operations: Map<string, OperationSpec> } | undefined;
}

export interface RouteMatch {
  /** The route template, or the path with ids folded when no route matches. */
  route: string;
  operation: string;
  /** The segment after `/v1/`, URL-decoded; `undefined` when the path has none. */
  tenant: string | undefined;
  /** The path matches a route of the table (whatever the method): it is a backup-service path. */
  known: boolean;
}

const root = buildTrie(ROUTES);

/**
 * Route and operation of a request path (query string already removed). `requestBody` (the record's
 * request body, text or object, usually absent) is looked at only for the one route whose operation
 * depends on it.
 */
export function matchRoute(method: string, path: string, requestBody: unknown): RouteMatch {
  const segments = pathSegments(path);
  const v1 = segments.indexOf('v1');
  const tenant = v1 >= 0 ? segments[v1 + 1] : undefined;
  if (tenant === undefined) return { route: foldIds(segments), operation: UNKNOWN_OPERATION, tenant, known: false };

  const rest = segments.slice(v1 + 2);
  const found = findRoute(root, rest, 0);
  if (found === undefined) {
    const route = rest.length === 0 ? '/v1/{project_id}' : ROUTE_PREFIX + foldIds(rest).slice(1);
    return { route, operation: UNKNOWN_OPERATION, tenant, known: false };
  }
  const spec = found.operations.get(method);
  const operation = spec === undefined ? UNKNOWN_OPERATION : spec === BY_REQUEST_BODY ? capabilityCheck(requestBody) : spec;
  return { route: found.template, operation, tenant, known: true };
}

/** Non-empty path segments, URL-decoded one by one (so `%2F` stays inside its segment). */
function pathSegments(path: string): string[] {
  const segments: string[] = [];
  let start = 0;
  while (start <= path.length) {
    let end = path.indexOf('/', start);
    if (end < 0) end = path.length;
    if (end > start) {
      const raw = path.slice(start, end);
      segments.push(raw.includes('%') ? decodeSegment(raw) : raw);
    }
    start = end + 1;
  }
  return segments;
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // a malformed escape: keep the segment as sent
  }
}

function findRoute(node: TrieNode, segments: string[], index: number): TrieNode['route'] {
  if (index === segments.length) return node.route;
  const segment = segments[index] ?? '';
  const literal = node.literals.get(segment);
  const viaLiteral = literal && findRoute(literal, segments, index + 1);
  if (viaLiteral) return viaLiteral;
  return node.placeholder && findRoute(node.placeholder.node, segments, index + 1);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LONG_HEX = /^[0-9a-f]{16,}$/i;
const DIGITS = /^[0-9]+$/;

/** A segment that names one resource rather than a kind of resource. */
export function looksLikeId(segment: string): boolean {
  return UUID.test(segment) || LONG_HEX.test(segment) || DIGITS.test(segment);
}

function foldIds(segments: string[]): string {
  return `/${segments.map((segment) => (looksLikeId(segment) ? '{id}' : segment)).join('/')}`;
}

const CAPABILITY_CHECKS = ['check_protectable', 'check_restorable'];
/** The root key of a (possibly truncated) JSON object text. */
const LEADING_KEY = /^\s*\{\s*"([A-Za-z_]+)"/;

function capabilityCheck(requestBody: unknown): string {
  let rootKeys: string[] = [];
  if (isObject(requestBody)) rootKeys = Object.keys(requestBody);
  else if (typeof requestBody === 'string') rootKeys = rootKeysOfText(requestBody);
  return rootKeys.find((key) => CAPABILITY_CHECKS.includes(key)) ?? 'check_capability';
}

function rootKeysOfText(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? Object.keys(parsed) : [];
  } catch {
    // Gateways cut long bodies short; the root key is at the start.
    const leading = LEADING_KEY.exec(text.slice(0, 256));
    return leading?.[1] === undefined ? [] : [leading[1]];
  }
}

function buildTrie(routes: typeof ROUTES): TrieNode {
  const trieRoot = newNode();
  for (const [method, template, operation] of routes) {
    if (!template.startsWith(ROUTE_PREFIX)) throw new Error(`route ${template} does not start with ${ROUTE_PREFIX}`);
    let node = trieRoot;
    for (const segment of template.slice(ROUTE_PREFIX.length).split('/')) {
      node = segment.startsWith('{') ? placeholderChild(node, segment, template) : literalChild(node, segment);
    }
    node.route ??= { template, operations: new Map() };
    if (node.route.operations.has(method)) throw new Error(`route ${method} ${template} is listed twice`);
    node.route.operations.set(method, operation);
  }
  return trieRoot;
}

function newNode(): TrieNode {
  return { literals: new Map(), placeholder: undefined, route: undefined };
}

function literalChild(node: TrieNode, segment: string): TrieNode {
  let child = node.literals.get(segment);
  if (child === undefined) {
    child = newNode();
    node.literals.set(segment, child);
  }
  return child;
}

function placeholderChild(node: TrieNode, name: string, template: string): TrieNode {
  node.placeholder ??= { name, node: newNode() };
  // Templates sharing a prefix must name its placeholder alike, or the route text would depend on order.
  if (node.placeholder.name !== name) throw new Error(`route ${template}: ${name} clashes with ${node.placeholder.name}`);
  return node.placeholder.node;
}
