import type { GroupField } from '../counts.js';

export interface GroupKey {
  code?: string;
  status?: number;
  tenant?: string;
  operation?: string;
}

/** The group fields of a row, typed (status as a number). */
export function groupOf(row: Record<string, unknown>, keys: readonly GroupField[]): GroupKey {
  const key: GroupKey = {};
  for (const field of keys) {
    if (field === 'status') key.status = Number(row.status);
    else key[field] = String(row[field] ?? '');
  }
  return key;
}
