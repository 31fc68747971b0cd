import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchRoute } from '@csbs-errors/extract';

const P = '0123456789abcdef0123456789abcdef'; // a project id
const U = '5c47577b-3f12-468e-b2ff-d03d4eac98d6'; // any resource id

/** Every row of routes.md, written out from the document: method, a concrete path, route, operation. */
const ROUTES_MD: ReadonlyArray<[string, string, string, string]> = [
  // CSBS
  ['POST', `/v1/${P}/providers/${U}/resources/${U}/action`, '/v1/{project_id}/providers/{provider_id}/resources/{resource_id}/action', 'create_backup'],
  ['POST', `/v1/${P}/providers/${U}/resources/action`, '/v1/{project_id}/providers/{provider_id}/resources/action', 'check_capability'],
  ['POST', `/v1/${P}/providers/${U}/checkpoints`, '/v1/{project_id}/providers/{provider_id}/checkpoints', 'execute_policy'],
  ['DELETE', `/v1/${P}/providers/${U}/checkpoints/${U}`, '/v1/{project_id}/providers/{provider_id}/checkpoints/{checkpoint_id}', 'delete_backup'],
  ['GET', `/v1/${P}/checkpoint_items`, '/v1/{project_id}/checkpoint_items', 'list_backups'],
  ['GET', `/v1/${P}/checkpoint_items/count`, '/v1/{project_id}/checkpoint_items/count', 'count_backups'],
  ['GET', `/v1/${P}/checkpoint_items/${U}`, '/v1/{project_id}/checkpoint_items/{checkpoint_item_id}', 'get_backup'],
  ['POST', `/v1/${P}/providers/${U}/checkpoint_items/${U}/replicate`, '/v1/{project_id}/providers/{provider_id}/checkpoint_items/{checkpoint_item_id}/replicate', 'replicate_backup'],
  ['GET', `/v1/${P}/replication_capabilities`, '/v1/{project_id}/replication_capabilities', 'get_replication_capabilities'],
  ['POST', `/v1/${P}/policies`, '/v1/{project_id}/policies', 'create_policy'],
  ['GET', `/v1/${P}/policies`, '/v1/{project_id}/policies', 'list_policies'],
  ['GET', `/v1/${P}/policies/${U}`, '/v1/{project_id}/policies/{policy_id}', 'get_policy'],
  ['PUT', `/v1/${P}/policies/${U}`, '/v1/{project_id}/policies/{policy_id}', 'update_policy'],
  ['DELETE', `/v1/${P}/policies/${U}`, '/v1/{project_id}/policies/{policy_id}', 'delete_policy'],
  ['POST', `/v1/${P}/restores`, '/v1/{project_id}/restores', 'restore_backup'],
  ['GET', `/v1/${P}/quotas`, '/v1/{project_id}/quotas', 'get_quotas'],
  // Tags, policy kind
  ['POST', `/v1/${P}/csbs_backup_policy/${U}/tags`, '/v1/{project_id}/csbs_backup_policy/{resource_id}/tags', 'add_policy_tag'],
  ['POST', `/v1/${P}/csbs_backup_policy/${U}/tags/action`, '/v1/{project_id}/csbs_backup_policy/{resource_id}/tags/action', 'batch_policy_tags'],
  ['POST', `/v1/${P}/csbs_backup_policy/resource_instances/action`, '/v1/{project_id}/csbs_backup_policy/resource_instances/action', 'query_policies_by_tag'],
  ['GET', `/v1/${P}/csbs_backup_policy/tags`, '/v1/{project_id}/csbs_backup_policy/tags', 'list_policy_tags'],
  ['GET', `/v1/${P}/csbs_backup_policy/${U}/tags`, '/v1/{project_id}/csbs_backup_policy/{resource_id}/tags', 'get_policy_tags'],
  ['DELETE', `/v1/${P}/csbs_backup_policy/${U}/tags/env`, '/v1/{project_id}/csbs_backup_policy/{resource_id}/tags/{key}', 'delete_policy_tag'],
  // Tags, backup kind
  ['POST', `/v1/${P}/csbs_backup/${U}/tags`, '/v1/{project_id}/csbs_backup/{resource_id}/tags', 'add_backup_tag'],
  ['POST', `/v1/${P}/csbs_backup/${U}/tags/action`, '/v1/{project_id}/csbs_backup/{resource_id}/tags/action', 'batch_backup_tags'],
  ['POST', `/v1/${P}/csbs_backup/resource_instances/action`, '/v1/{project_id}/csbs_backup/resource_instances/action', 'query_backups_by_tag'],
  ['GET', `/v1/${P}/csbs_backup/tags`, '/v1/{project_id}/csbs_backup/tags', 'list_backup_tags'],
  ['GET', `/v1/${P}/csbs_backup/${U}/tags`, '/v1/{project_id}/csbs_backup/{resource_id}/tags', 'get_backup_tags'],
  ['DELETE', `/v1/${P}/csbs_backup/${U}/tags/env`, '/v1/{project_id}/csbs_backup/{resource_id}/tags/{key}', 'delete_backup_tag'],
  // Karbor native
  ['GET', `/v1/${P}/providers`, '/v1/{project_id}/providers', 'list_providers'],
  ['GET', `/v1/${P}/providers/${U}`, '/v1/{project_id}/providers/{provider_id}', 'get_provider'],
  ['GET', `/v1/${P}/providers/${U}/checkpoints`, '/v1/{project_id}/providers/{provider_id}/checkpoints', 'list_checkpoints'],
  ['GET', `/v1/${P}/providers/${U}/checkpoints/${U}`, '/v1/{project_id}/providers/{provider_id}/checkpoints/{checkpoint_id}', 'get_checkpoint'],
  ['PUT', `/v1/${P}/providers/${U}/checkpoints/${U}`, '/v1/{project_id}/providers/{provider_id}/checkpoints/{checkpoint_id}', 'reset_checkpoint_state'],
  ['POST', `/v1/${P}/providers/${U}/checkpoints/action`, '/v1/{project_id}/providers/{provider_id}/checkpoints/action', 'copy_checkpoints'],
  ['GET', `/v1/${P}/plans`, '/v1/{project_id}/plans', 'list_plans'],
  ['POST', `/v1/${P}/plans`, '/v1/{project_id}/plans', 'create_plan'],
  ['GET', `/v1/${P}/plans/${U}`, '/v1/{project_id}/plans/{plan_id}', 'get_plan'],
  ['PUT', `/v1/${P}/plans/${U}`, '/v1/{project_id}/plans/{plan_id}', 'update_plan'],
  ['DELETE', `/v1/${P}/plans/${U}`, '/v1/{project_id}/plans/{plan_id}', 'delete_plan'],
  ['GET', `/v1/${P}/restores`, '/v1/{project_id}/restores', 'list_restores'],
  ['GET', `/v1/${P}/restores/${U}`, '/v1/{project_id}/restores/{restore_id}', 'get_restore'],
  ['GET', `/v1/${P}/protectables`, '/v1/{project_id}/protectables', 'list_protectable_types'],
  ['GET', `/v1/${P}/protectables/OS::Nova::Server`, '/v1/{project_id}/protectables/{protectable_type}', 'get_protectable_type'],
  ['GET', `/v1/${P}/protectables/OS::Nova::Server/instances`, '/v1/{project_id}/protectables/{protectable_type}/instances', 'list_protectable_instances'],
  ['GET', `/v1/${P}/protectables/OS::Nova::Server/instances/${U}`, '/v1/{project_id}/protectables/{protectable_type}/instances/{resource_id}', 'get_protectable_instance'],
  ['GET', `/v1/${P}/triggers`, '/v1/{project_id}/triggers', 'list_triggers'],
  ['POST', `/v1/${P}/triggers`, '/v1/{project_id}/triggers', 'create_trigger'],
  ['GET', `/v1/${P}/triggers/${U}`, '/v1/{project_id}/triggers/{trigger_id}', 'get_trigger'],
  ['PUT', `/v1/${P}/triggers/${U}`, '/v1/{project_id}/triggers/{trigger_id}', 'update_trigger'],
  ['DELETE', `/v1/${P}/triggers/${U}`, '/v1/{project_id}/triggers/{trigger_id}', 'delete_trigger'],
  ['GET', `/v1/${P}/scheduled_operations`, '/v1/{project_id}/scheduled_operations', 'list_scheduled_operations'],
  ['POST', `/v1/${P}/scheduled_operations`, '/v1/{project_id}/scheduled_operations', 'create_scheduled_operation'],
  ['GET', `/v1/${P}/scheduled_operations/${U}`, '/v1/{project_id}/scheduled_operations/{scheduled_operation_id}', 'get_scheduled_operation'],
  ['DELETE', `/v1/${P}/scheduled_operations/${U}`, '/v1/{project_id}/scheduled_operations/{scheduled_operation_id}', 'delete_scheduled_operation'],
  ['GET', `/v1/${P}/operation_logs`, '/v1/{project_id}/operation_logs', 'list_operation_logs'],
  ['GET', `/v1/${P}/operation_logs/${U}`, '/v1/{project_id}/operation_logs/{operation_log_id}', 'get_operation_log'],
  ['GET', `/v1/${P}/verifications`, '/v1/{project_id}/verifications', 'list_verifications'],
  ['POST', `/v1/${P}/verifications`, '/v1/{project_id}/verifications', 'create_verification'],
  ['GET', `/v1/${P}/verifications/${U}`, '/v1/{project_id}/verifications/{verification_id}', 'get_verification'],
  ['GET', `/v1/${P}/os-services`, '/v1/{project_id}/os-services', 'list_services'],
  ['PUT', `/v1/${P}/os-services/${U}`, '/v1/{project_id}/os-services/{service_id}', 'update_service'],
  ['GET', `/v1/${P}/quotas/${P}`, '/v1/{project_id}/quotas/{quota_project_id}', 'get_quota'],
  ['PUT', `/v1/${P}/quotas/${P}`, '/v1/{project_id}/quotas/{quota_project_id}', 'update_quota'],
  ['DELETE', `/v1/${P}/quotas/${P}`, '/v1/{project_id}/quotas/{quota_project_id}', 'delete_quota'],
  ['GET', `/v1/${P}/quotas/${P}/defaults`, '/v1/{project_id}/quotas/{quota_project_id}/defaults', 'get_default_quotas'],
  ['GET', `/v1/${P}/quotas/${P}/detail`, '/v1/{project_id}/quotas/{quota_project_id}/detail', 'get_quota_detail'],
  ['GET', `/v1/${P}/quota_classes/default`, '/v1/{project_id}/quota_classes/{quota_class_id}', 'get_quota_class'],
  ['PUT', `/v1/${P}/quota_classes/default`, '/v1/{project_id}/quota_classes/{quota_class_id}', 'update_quota_class'],
];

describe('matchRoute: every route of routes.md', () => {
  for (const [method, path, route, operation] of ROUTES_MD) {
    it(`${method} ${route} → ${operation}`, () => {
      assert.deepEqual(matchRoute(method, path, undefined), { route, operation, tenant: P, known: true });
    });
  }

  it('covers each distinct operation of the document once', () => {
    const operations = ROUTES_MD.map(([, , , operation]) => operation);
    assert.equal(new Set(operations).size, operations.length);
    assert.equal(operations.length, 16 + 6 * 2 + 40); // CSBS rows, tag rows per kind, Karbor rows
  });
});

describe('matchRoute: literal beats placeholder', () => {
  const cases: Array<[string, string, string, string]> = [
    ['GET', `/v1/${P}/checkpoint_items/count`, '/v1/{project_id}/checkpoint_items/count', 'count_backups'],
    ['GET', `/v1/${P}/checkpoint_items/counts`, '/v1/{project_id}/checkpoint_items/{checkpoint_item_id}', 'get_backup'],
    ['POST', `/v1/${P}/providers/${U}/resources/action`, '/v1/{project_id}/providers/{provider_id}/resources/action', 'check_capability'],
    ['POST', `/v1/${P}/providers/${U}/resources/${U}/action`, '/v1/{project_id}/providers/{provider_id}/resources/{resource_id}/action', 'create_backup'],
    ['POST', `/v1/${P}/providers/${U}/checkpoints/action`, '/v1/{project_id}/providers/{provider_id}/checkpoints/action', 'copy_checkpoints'],
    ['GET', `/v1/${P}/providers/${U}/checkpoints/actions`, '/v1/{project_id}/providers/{provider_id}/checkpoints/{checkpoint_id}', 'get_checkpoint'],
    ['POST', `/v1/${P}/csbs_backup/resource_instances/action`, '/v1/{project_id}/csbs_backup/resource_instances/action', 'query_backups_by_tag'],
    // A resource literally named like the literal segment still reaches the placeholder route.
    ['POST', `/v1/${P}/csbs_backup/resource_instances/tags`, '/v1/{project_id}/csbs_backup/{resource_id}/tags', 'add_backup_tag'],
    ['GET', `/v1/${P}/csbs_backup/tags/tags`, '/v1/{project_id}/csbs_backup/{resource_id}/tags', 'get_backup_tags'],
    ['POST', `/v1/${P}/csbs_backup_policy/${U}/tags/action`, '/v1/{project_id}/csbs_backup_policy/{resource_id}/tags/action', 'batch_policy_tags'],
    ['DELETE', `/v1/${P}/csbs_backup_policy/${U}/tags/action`, '/v1/{project_id}/csbs_backup_policy/{resource_id}/tags/action', 'unknown'],
    ['GET', `/v1/${P}/quotas`, '/v1/{project_id}/quotas', 'get_quotas'],
    ['GET', `/v1/${P}/quota_classes/gold`, '/v1/{project_id}/quota_classes/{quota_class_id}', 'get_quota_class'],
    ['GET', `/v1/${P}/quotas/gold`, '/v1/{project_id}/quotas/{quota_project_id}', 'get_quota'],
  ];
  for (const [method, path, route, operation] of cases) {
    it(`${method} ${path.slice(P.length + 4)} → ${operation}`, () => {
      const match = matchRoute(method, path, undefined);
      assert.equal(match.route, route);
      assert.equal(match.operation, operation);
    });
  }

  it('a listed path with an unlisted method keeps its route and has operation unknown', () => {
    assert.deepEqual(matchRoute('PATCH', `/v1/${P}/policies/${U}`, undefined), {
      route: '/v1/{project_id}/policies/{policy_id}',
      operation: 'unknown',
      tenant: P,
      known: true,
    });
    assert.equal(matchRoute('get', `/v1/${P}/policies`, undefined).operation, 'unknown'); // methods are case-sensitive
  });
});

describe('matchRoute: path forms', () => {
  it('ignores trailing and doubled slashes', () => {
    assert.equal(matchRoute('GET', `/v1/${P}/policies/${U}/`, undefined).operation, 'get_policy');
    assert.equal(matchRoute('GET', `/v1/${P}//policies//`, undefined).operation, 'list_policies');
  });

  it('matches from the first /v1/ segment, whatever the gateway prefix', () => {
    assert.deepEqual(matchRoute('GET', `/csbs/v1/${P}/checkpoint_items/count`, undefined), {
      route: '/v1/{project_id}/checkpoint_items/count',
      operation: 'count_backups',
      tenant: P,
      known: true,
    });
    assert.equal(matchRoute('GET', `/a/b/v1/${P}/plans`, undefined).operation, 'list_plans');
    assert.equal(matchRoute('GET', `/v10/${P}/plans`, undefined).known, false);
  });

  it('URL-decodes each segment (literal and tenant); an encoded slash stays inside its segment', () => {
    assert.equal(matchRoute('GET', `/v1/${P}/checkpoint%5Fitems/%63ount`, undefined).operation, 'count_backups');
    assert.equal(matchRoute('GET', `/v1/${P}/protectables/OS%3A%3ANova%3A%3AServer/instances`, undefined).operation, 'list_protectable_instances');
    assert.equal(matchRoute('GET', '/v1/my%20project/plans', undefined).tenant, 'my project');
    assert.deepEqual(matchRoute('GET', `/v1/${P}/plans/a%2Fb`, undefined).operation, 'get_plan');
    assert.equal(matchRoute('GET', `/v1/${P}/plans/%zz`, undefined).operation, 'get_plan'); // malformed escape kept as is
  });

  it('reads check_protectable / check_restorable from the request body root key', () => {
    const path = `/v1/${P}/providers/${U}/resources/action`;
    assert.equal(matchRoute('POST', path, '{"check_protectable": {"resources": []}}').operation, 'check_protectable');
    assert.equal(matchRoute('POST', path, { check_restorable: { checkpoint_item_id: U } }).operation, 'check_restorable');
    assert.equal(matchRoute('POST', path, '{"check_restorable": {"resources": [{"id": "cut sh').operation, 'check_restorable');
    assert.equal(matchRoute('POST', path, '{"something_else": {}}').operation, 'check_capability');
    assert.equal(matchRoute('POST', path, '').operation, 'check_capability');
    assert.equal(matchRoute('POST', path, undefined).operation, 'check_capability');
  });
});

describe('matchRoute: paths that match no route', () => {
  it('folds ids (UUID, 16+ hex digits, all digits) and names the tenant {project_id}', () => {
    assert.deepEqual(matchRoute('GET', `/v1/${P}/checkpoint_items/${U}/metadata`, undefined), {
      route: '/v1/{project_id}/checkpoint_items/{id}/metadata',
      operation: 'unknown',
      tenant: P,
      known: false,
    });
    assert.equal(matchRoute('GET', `/csbs/v1/${P}/jobs/0123456789ABCDEF/steps/42/x-15`, undefined).route, '/v1/{project_id}/jobs/{id}/steps/{id}/x-15');
    assert.equal(matchRoute('GET', `/v1/${P}/jobs/0123456789abcde`, undefined).route, '/v1/{project_id}/jobs/0123456789abcde'); // 15 hex digits: a name
    assert.equal(matchRoute('GET', `/v1/${P}`, undefined).route, '/v1/{project_id}');
    assert.equal(matchRoute('GET', `/v1/${P}/`, undefined).route, '/v1/{project_id}');
  });

  it('without /v1/{segment}/ has no tenant and folds the whole path', () => {
    assert.deepEqual(matchRoute('GET', `/v2/${P}/servers/${U}`, undefined), {
      route: '/v2/{id}/servers/{id}',
      operation: 'unknown',
      tenant: undefined,
      known: false,
    });
    assert.equal(matchRoute('GET', '/', undefined).route, '/');
    assert.equal(matchRoute('GET', '/v1', undefined).route, '/v1');
    assert.equal(matchRoute('GET', '/healthz/', undefined).route, '/healthz');
  });
});
