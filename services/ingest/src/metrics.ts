import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Most distinct `code` label values kept; further codes count under `other` (labels stay bounded). */
const MAX_CODE_LABELS = 300;
/**
 * The label of every code that is not in the vendor's catalog. /metrics is read by whoever scrapes
 * it, across all tenants: a code only one tenant produced would tell the others about it (the API's
 * /v1/codes/{code} hides such a code from another tenant). Catalog codes are public.
 */
export const UNKNOWN_CODE_LABEL = 'unknown';

export class IngestMetrics {
  readonly records: Counter<'outcome' | 'reason'>;
  readonly events: Counter<'code'>;
  readonly deadLetters: Counter<'reason'>;
  readonly batchRecords: Histogram;
  readonly insertSeconds: Histogram;
  readonly storeRetries: Counter;
  readonly commitRetries: Counter;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly storeRefusedRows: Counter<'table'>;
  readonly consumerCrashes: Counter;
  readonly stalled: Gauge<'topic' | 'partition'>;
  readonly ready: Gauge;
  private readonly seenCodes = new Set<string>();

  constructor(registry: Registry) {
    this.records = new Counter({ name: 'csbs_errors_ingest_records_total', help: 'Gateway records read, by outcome and reason', labelNames: ['outcome', 'reason'], registers: [registry] });
    this.events = new Counter({ name: 'csbs_errors_ingest_events_total', help: 'Error events stored, by catalog code (codes not in the catalog under "unknown"; overflow under "other")', labelNames: ['code'], registers: [registry] });
    this.deadLetters = new Counter({ name: 'csbs_errors_ingest_dead_letters_total', help: 'Records sent to the dead-letter topic, by reason', labelNames: ['reason'], registers: [registry] });
    this.batchRecords = new Histogram({ name: 'csbs_errors_ingest_batch_records', help: 'Records per stored batch', buckets: [1, 10, 100, 1_000, 5_000, 10_000, 50_000, 100_000], registers: [registry] });
    this.insertSeconds = new Histogram({ name: 'csbs_errors_store_insert_seconds', help: 'Time to store one batch (all tables)', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] });
    this.storeRetries = new Counter({ name: 'csbs_errors_store_retries_total', help: 'Failed store attempts that were retried', registers: [registry] });
    this.commitRetries = new Counter({ name: 'csbs_errors_ingest_commit_retries_total', help: 'Failed offset commits that were retried', registers: [registry] });
    this.lag = new Gauge({ name: 'csbs_errors_consumer_lag', help: 'Committed lag: high watermark minus the group\'s committed offset, per partition of this worker', labelNames: ['topic', 'partition'], registers: [registry] });
    this.storeRefusedRows = new Counter({ name: 'csbs_errors_store_refused_rows_total', help: 'Rows the store refused for good (bad data, not an outage), by table; refused events are dead-lettered', labelNames: ['table'], registers: [registry] });
    this.consumerCrashes = new Counter({ name: 'csbs_errors_consumer_crashes_total', help: 'Crashes of the Kafka consumer (each one restarts it)', registers: [registry] });
    this.stalled = new Gauge({ name: 'csbs_errors_ingest_partition_stalled', help: '1 while a partition of this worker has records to read and no committed progress for INGEST_STALL_AFTER_MS', labelNames: ['topic', 'partition'], registers: [registry] });
    this.ready = new Gauge({ name: 'csbs_errors_ingest_ready', help: '1 when the ingest worker is consuming and no partition is stalled (what /readyz says)', registers: [registry] });
  }

  codeLabel(code: string, known: boolean): string {
    if (!known) return UNKNOWN_CODE_LABEL;
    if (this.seenCodes.has(code)) return code;
    if (this.seenCodes.size >= MAX_CODE_LABELS) return 'other';
    this.seenCodes.add(code);
    return code;
  }
}
