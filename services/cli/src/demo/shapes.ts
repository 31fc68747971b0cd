/**
 * The requests of the demo: method and path of the CSBS and Karbor routes, as often as a real
 * tenant would call them. The operation of each is what the extractor's route table
 * (`matchRoute`) says, so the dashboard shows real operation names; a shape whose path matched no
 * route would show up as `unknown` (test/demo-traffic.test.ts checks none does).
 */
import { matchRoute } from '@csbs-errors/extract';
import type { Random } from './random.js';

export interface Shape {
  method: string;
  /** Route with `{project_id}` and `{...}` ids, filled per request. */
  route: string;
  weight: number;
  /** Request body (for the capability check's operation). */
  body?: string;
  operation: string;
}

const SHAPES_BY_ROUTE: ReadonlyArray<Omit<Shape, 'operation'>> = [
  { method: 'GET', route: '/v1/{project_id}/checkpoint_items', weight: 14 },
  { method: 'GET', route: '/v1/{project_id}/checkpoint_items/{checkpoint_item_id}', weight: 10 },
  { method: 'GET', route: '/v1/{project_id}/checkpoint_items/count', weight: 3 },
  { method: 'POST', route: '/v1/{project_id}/providers/{provider_id}/resources/{resource_id}/action', weight: 8 },
  { method: 'POST', route: '/v1/{project_id}/providers/{provider_id}/resources/action', weight: 3, body: '{"check_protectable":[{"resource_id":"x","resource_type":"OS::Nova::Server"}]}' },
  { method: 'POST', route: '/v1/{project_id}/providers/{provider_id}/checkpoints', weight: 3 },
  { method: 'DELETE', route: '/v1/{project_id}/providers/{provider_id}/checkpoints/{checkpoint_id}', weight: 3 },
  { method: 'POST', route: '/v1/{project_id}/restores', weight: 5 },
  { method: 'GET', route: '/v1/{project_id}/restores/{restore_id}', weight: 2 },
  { method: 'GET', route: '/v1/{project_id}/policies', weight: 6 },
  { method: 'GET', route: '/v1/{project_id}/policies/{policy_id}', weight: 3 },
  { method: 'POST', route: '/v1/{project_id}/policies', weight: 1 },
  { method: 'PUT', route: '/v1/{project_id}/policies/{policy_id}', weight: 1 },
  { method: 'POST', route: '/v1/{project_id}/providers/{provider_id}/checkpoint_items/{checkpoint_item_id}/replicate', weight: 1 },
  { method: 'GET', route: '/v1/{project_id}/quotas', weight: 2 },
  { method: 'GET', route: '/v1/{project_id}/csbs_backup/{resource_id}/tags', weight: 2 },
  { method: 'POST', route: '/v1/{project_id}/csbs_backup/{resource_id}/tags', weight: 1 },
  { method: 'DELETE', route: '/v1/{project_id}/csbs_backup/{resource_id}/tags/{key}', weight: 1 },
  { method: 'GET', route: '/v1/{project_id}/providers/{provider_id}/checkpoints', weight: 3 },
  { method: 'GET', route: '/v1/{project_id}/plans', weight: 2 },
  { method: 'GET', route: '/v1/{project_id}/protectables/{protectable_type}/instances', weight: 2 },
  { method: 'GET', route: '/v1/{project_id}/triggers', weight: 1 },
  { method: 'GET', route: '/v1/{project_id}/operation_logs', weight: 2 },
];

const EXAMPLE_IDS: Record<string, string> = { '{project_id}': '0123456789abcdef0123456789abcdef', '{protectable_type}': 'OS::Nova::Server', '{key}': 'env' };

export const SHAPES: readonly Shape[] = SHAPES_BY_ROUTE.map((shape) => {
  const path = shape.route.replace(/\{[a-z_]+\}/g, (name) => EXAMPLE_IDS[name] ?? '5f1c2a1e-4e8b-4c1d-9a7e-0c6f3b2d1a00');
  return { ...shape, operation: matchRoute(shape.method, path, shape.body).operation };
});

/** The shapes of one operation (errors tied to an operation use these). */
export function shapesOf(operations: readonly string[]): Shape[] {
  return SHAPES.filter((shape) => operations.includes(shape.operation));
}

export const PROVIDER_ID = 'fc4d5750-22e7-4798-8a46-f48f62c4c1da';

/** The path of a request: the tenant in `{project_id}`, the CSBS provider, fresh ids elsewhere. */
export function fillPath(route: string, tenant: string, random: Random): string {
  return route.replace(/\{([a-z_]+)\}/g, (_match, name: string) => {
    if (name === 'project_id') return tenant;
    if (name === 'provider_id') return PROVIDER_ID;
    if (name === 'protectable_type') return 'OS::Nova::Server';
    if (name === 'key') return random.pick(['env', 'owner', 'app']);
    return random.uuid();
  });
}
