/**
 * The demo's errors, shaped like the real ones: catalog codes with their documented status and a
 * message filled from the template (ids where the template names a server, a volume, ...), Karbor
 * faults in OpenStack's body shape, and the gateway's own errors (APIG.0101, and 502/504 without a
 * body). CSBS.9999 is kept apart: the spike changes its share.
 */
import type { Catalog, CatalogRow } from '@csbs-errors/catalog';
import { placeholderKinds } from '@csbs-errors/report';
import type { Random } from './random.js';

export interface DemoError {
  status: number;
  /** The response body as the gateway logs it; undefined for none. */
  body: string | undefined;
  /** Operations the error belongs to (empty: any). */
  operations: readonly string[];
  /** CSBS.9999, the code of the spike. */
  system?: boolean;
}

/** How often each code comes up, relative to 1; codes not listed get 1. */
const CODE_WEIGHTS: Record<string, number> = {
  'CSBS.3001': 6,
  'CSBS.6006': 5,
  'CSBS.4000': 4,
  'CSBS.6020': 3,
  'CSBS.6007': 3,
  'CSBS.9009': 3,
  'CSBS.6024': 2,
  'CSBS.7001': 2,
  'CSBS.3000': 2,
  'CSBS.9006': 2,
  'CSBS.1001': 2,
};

/** Which operations a code comes from, by the code's area; others come from any operation. */
const CODE_OPERATIONS: ReadonlyArray<[RegExp, readonly string[]]> = [
  [/^CSBS\.(3001|4000|8\d\d\d)$/, ['get_backup', 'restore_backup', 'delete_backup']],
  [/^CSBS\.60(0[0-9]|10|27|3[0-3]|61)$/, ['create_backup', 'execute_policy', 'check_capability', 'check_protectable']],
  [/^CSBS\.60(1[3-9]|2[0-5])$/, ['restore_backup']],
  [/^CSBS\.70\d\d$/, ['add_backup_tag', 'get_backup_tags', 'delete_backup_tag']],
  [/^CSBS\.(3000|5001|1001|2\d\d\d)$/, ['get_policy', 'update_policy', 'execute_policy', 'list_plans']],
  [/^CSBS\.(9006|9009)$/, ['get_quotas', 'create_backup']],
];

const failedAction = (r: Random) => r.pick(['backup', 'restore', 'delete checkpoint', 'copy backup', 'query quota']);

/** Values by what the placeholder names (see placeholderKinds); ids for the rest. */
const VALUES: Record<string, (random: Random) => string> = {
  type: (r) => r.pick(['OS::Nova::Server', 'OS::Cinder::Volume', 'OS::Glance::Image']),
  status: (r) => r.pick(['ERROR', 'SHUTOFF', 'SUSPENDED', 'BUILD']),
  size: (r) => r.pick(['40', '80', '100', '200', '500']),
  count: (r) => r.pick(['10', '20']),
  'failed action': failedAction,
};

/** The message of a catalog row with its placeholders filled. */
export function fillTemplate(row: CatalogRow, random: Random): string {
  const kinds = placeholderKinds(row.template);
  let index = 0;
  return row.template.replace(/%s|\{[a-z_]+\}/g, () => {
    const kind = kinds[index++] ?? 'value';
    return (VALUES[kind] ?? ((r: Random) => r.uuid()))(random);
  });
}

const errorBody = (code: string, message: string) => JSON.stringify({ error_code: code, error_msg: message });

export function catalogErrors(catalog: Catalog): Array<{ row: CatalogRow; weight: number; operations: readonly string[] }> {
  return catalog.rows
    .filter((row) => row.code !== 'CSBS.9999' && !row.unused)
    .map((row) => ({ row, weight: CODE_WEIGHTS[row.code] ?? 1, operations: CODE_OPERATIONS.find(([pattern]) => pattern.test(row.code))?.[1] ?? [] }));
}

export function catalogError(entry: { row: CatalogRow; operations: readonly string[] }, random: Random): DemoError {
  return { status: entry.row.status, body: errorBody(entry.row.code, fillTemplate(entry.row, random)), operations: entry.operations };
}

export function systemError(random: Random): DemoError {
  return { status: 500, body: errorBody('CSBS.9999', `${failedAction(random)} failed`), operations: [], system: true };
}

/** Karbor faults (`{"<faultName>": {"code": n, "message": ...}}`). */
export function karborFault(random: Random): DemoError {
  const fault = random.pick([
    { name: 'itemNotFound', code: 404, message: () => `Checkpoint ${random.uuid()} could not be found.` },
    { name: 'badRequest', code: 400, message: () => 'Invalid plan: plan status is suspended' },
    { name: 'forbidden', code: 403, message: () => 'Policy doesn\'t allow protection:checkpoint_delete to be performed.' },
    { name: 'conflictingRequest', code: 409, message: () => `Restore ${random.uuid()} is in progress.` },
    { name: 'computeFault', code: 500, message: () => 'The server has either erred or is incapable of performing the requested operation.' },
  ]);
  return { status: fault.code, body: JSON.stringify({ [fault.name]: { code: fault.code, message: fault.message() } }), operations: [] };
}

/** The gateway's own: an unpublished API, a dead or slow upstream (no body). */
export function gatewayError(random: Random): DemoError {
  return random.pick<DemoError>([
    { status: 404, body: errorBody('APIG.0101', 'The API does not exist or has not been published in the environment.'), operations: [] },
    { status: 502, body: undefined, operations: [] },
    { status: 504, body: undefined, operations: [] },
  ]);
}
