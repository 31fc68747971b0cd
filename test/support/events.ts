/** A stored error event for tests that write their own data: a CSBS.9999 with the given differences. */
import type { StoredEvent } from '@csbs-errors/store';

export function storedEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    code: 'CSBS.9999',
    message: 'backup failed',
    status: 500,
    tenant: 't1',
    method: 'POST',
    path: '/v1/t1/restores',
    route: '/v1/{project_id}/restores',
    operation: 'restore_backup',
    request_id: '',
    ts: '2026-11-28T00:00:00.000Z',
    known: true,
    catalog_status: 500,
    status_mismatch: false,
    unused: false,
    params: ['backup'],
    description: '',
    solution: '',
    gateway: 'flat',
    latency_ms: null,
    source_topic: 'test',
    source_partition: 0,
    source_offset: '0',
    source_index: 0,
    ...overrides,
  };
}
