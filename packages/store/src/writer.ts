/**
 * Writes one ingest batch. Each insert carries a deduplication token derived from the batch's
 * Kafka offset range, so that writing the same batch again (a retry, or a replay after a crash)
 * stores nothing twice: in the tables and in the rollups fed by materialized views.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { ErrorEvent } from '@csbs-errors/extract';

export interface StoredEvent extends ErrorEvent {
  source_topic: string;
  source_partition: number;
  source_offset: string;
  source_index: number;
}

export interface RequestCountRow {
  /** Start of the minute, ISO-8601 UTC. */
  minute: string;
  tenant: string;
  operation: string;
  status: number;
  requests: number;
}

export interface StoredBatch {
  /** Identifies the batch's content for deduplication: same token, same rows. */
  token: string;
  events: StoredEvent[];
  requestCounts: RequestCountRow[];
}

export async function writeBatch(client: ClickHouseClient, batch: StoredBatch): Promise<void> {
  // Requests first: a reader never sees more errors than requests for a minute that is complete.
  if (batch.requestCounts.length > 0) {
    await client.insert({
      table: 'request_counts_1m',
      values: batch.requestCounts,
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: `${batch.token}:requests` },
    });
  }
  if (batch.events.length > 0) {
    await client.insert({
      table: 'events',
      values: batch.events,
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: `${batch.token}:events` },
    });
  }
}
