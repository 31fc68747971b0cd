/**
 * The evaluator: every `step` (phased so that one evaluation falls `settle` after each minute ends),
 * for each rule and group, read the series, judge the newest complete window (detect.ts), advance the
 * alert (state.ts), persist what changed (alert-table.ts) and deliver (notify.ts):
 *
 * - Alertmanager gets every firing alert at once and again every `resendMs`, and the resolve (endsAt);
 * - the webhook gets each alert's firing and resolved messages once each.
 *
 * State is saved before delivery and delivery flags after it: a crash in between re-sends a
 * notification (at-least-once; Alertmanager de-duplicates by labels) but never loses an alert.
 * With a lease, only the holder evaluates; a new holder reloads the state from the table first.
 * Time comes from `clock` so that tests drive it.
 */
import type { ClickHouseClient } from '@csbs-errors/store';
import { incidentFor, INCIDENT_LABEL } from '@csbs-errors/query';
import type { Logger } from '@csbs-errors/observability';
import { AlertTable, groupKeyOf, NOTHING_DELIVERED, type AlertRecord } from './alert-table.js';
import { DEFAULT_SETTLE_MS, newestCompleteMinute } from './backtest.js';
import { detect, paramsOf, SparseSeries } from './detect.js';
import type { Lease } from './lease.js';
import type { AlerterMetrics } from './metrics.js';
import { alertLabels, noticeFor } from './notices.js';
import type { AlertNotice, NotifyTarget } from './notify.js';
import { timingOf, type Rule } from './rules.js';
import { loadSeries, rangesFor } from './series.js';
import { advance, INITIAL_STATE, isOpen, type Transition } from './state.js';

export interface EvaluatorOptions {
  store: ClickHouseClient;
  rules: readonly Rule[];
  logger: Logger;
  metrics: AlerterMetrics;
  targets?: readonly NotifyTarget[];
  lease?: Lease;
  clock?: () => number;
  /** Delay after a minute ends before it is judged (default 3 s). */
  settleMs?: number;
  /** Re-send interval of firing alerts to Alertmanager (default 60 s; its resolve_timeout is 5 m). */
  resendMs?: number;
  dashboardUrl?: string;
}

export interface TransitionEvent {
  rule: string;
  labels: Record<string, string>;
  transition: Transition;
  at: number;
}

/** Resolved alerts older than this are not announced any more (e.g. a target configured later). */
const RESOLVED_NOTICE_HORIZON_MS = 3_600_000;

const keyOf = (rule: string, groupKey: string) => `${rule}\u0000${groupKey}`;

export class Evaluator {
  private readonly table: AlertTable;
  private readonly clock: () => number;
  private readonly settleMs: number;
  private readonly resendMs: number;
  private readonly records = new Map<string, AlertRecord>();
  private readonly persisted = new Map<string, string>();
  private readonly rulesByName: Map<string, Rule>;
  private loaded = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: EvaluatorOptions) {
    this.table = new AlertTable(options.store);
    this.clock = options.clock ?? Date.now;
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.resendMs = options.resendMs ?? 60_000;
    this.rulesByName = new Map(options.rules.map((rule) => [rule.name, rule]));
  }

  /** Current alerts in memory (tests, diagnostics). */
  snapshot(): AlertRecord[] {
    return [...this.records.values()].map((r) => structuredClone(r));
  }

  /** Starts the periodic evaluation. */
  start(): void {
    this.stopped = false;
    this.scheduleNext();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running.catch(() => undefined);
    await this.options.lease?.release().catch(() => undefined);
    this.options.metrics.leaseHeld.set(0);
  }

  /**
   * One round: the given rules (default all) judged at `clock()`. Returns the transitions; an empty
   * list when this process does not hold the lease.
   */
  async evaluateOnce(rules: readonly Rule[] = this.options.rules): Promise<TransitionEvent[]> {
    const { lease, metrics } = this.options;
    if (lease) {
      const wasHeld = lease.held;
      const holds = await lease.hold();
      metrics.leaseHeld.set(holds ? 1 : 0);
      if (!holds) {
        this.loaded = false;
        return [];
      }
      // A new holder starts from what the previous one stored.
      if (!wasHeld) this.loaded = false;
    }
    if (!this.loaded) await this.reload();

    const stopTimer = metrics.evaluationSeconds.startTimer();
    const events: TransitionEvent[] = [];
    for (const rule of rules) events.push(...(await this.evaluateRule(rule)));
    await this.saveChanged();
    await this.deliver();
    await this.saveChanged();
    this.updateGauges();
    stopTimer();
    return events;
  }

  private async reload(): Promise<void> {
    this.records.clear();
    this.persisted.clear();
    for (const record of await this.table.latestEpisodes()) {
      if (!this.rulesByName.has(record.rule)) continue;
      const key = keyOf(record.rule, record.groupKey);
      this.records.set(key, record);
      this.persisted.set(key, fingerprintOf(record));
    }
    this.loaded = true;
    const open = [...this.records.values()].filter((r) => isOpen(r.state)).length;
    if (open > 0) this.options.logger.info({ open }, 'alert state reloaded: open alerts carried on');
  }

  private async evaluateRule(rule: Rule): Promise<TransitionEvent[]> {
    const now = this.clock();
    const endMinute = newestCompleteMinute(now, this.settleMs);
    const groups = await loadSeries(this.options.store, rule, rangesFor(rule, endMinute));
    const params = paramsOf(rule);
    const timing = timingOf(rule);
    // Open alerts whose group has no data any more are judged too (on an empty series): they resolve.
    const seen = new Set(groups.map((g) => groupKeyOf(g.labels)));
    for (const record of this.records.values()) {
      if (record.rule === rule.name && isOpen(record.state) && !seen.has(record.groupKey)) {
        groups.push({ labels: groupLabelsOf(record.labels), series: new SparseSeries() });
      }
    }
    const events: TransitionEvent[] = [];
    for (const group of groups) {
      const groupKey = groupKeyOf(group.labels);
      const key = keyOf(rule.name, groupKey);
      const previous = this.records.get(key);
      const detection = detect(group.series, endMinute, params);
      const { state, transition } = advance(previous?.state ?? INITIAL_STATE, detection, now, timing);
      if (state.phase === 'normal') continue;
      if (previous && state === previous.state) continue;
      const newEpisode = previous === undefined || previous.state.activeAt !== state.activeAt;
      this.records.set(key, {
        rule: rule.name,
        groupKey,
        labels: newEpisode ? this.labelsOfNewEpisode(rule, group.labels, state.activeAt ?? now) : previous.labels,
        severity: rule.severity,
        state,
        delivery: newEpisode ? NOTHING_DELIVERED : previous.delivery,
        version: Math.max(now, (previous?.version ?? 0) + 1),
      });
      if (transition !== null) {
        events.push({ rule: rule.name, labels: alertLabels(rule, group.labels), transition, at: now });
        this.options.metrics.transitions.inc({ rule: rule.name, transition });
        const level = transition === 'firing' || transition === 'resolved' ? 'info' : 'debug';
        this.options.logger[level]({ rule: rule.name, ...group.labels, transition, count: detection.count, baseline: detection.baseline, factor: detection.factor }, `alert ${transition}`);
      }
    }
    this.options.metrics.evaluations.inc({ rule: rule.name });
    return events;
  }

  /** A new episode's labels: the rule's, and the incident it opens or joins (incidents.ts). */
  private labelsOfNewEpisode(rule: Rule, groupLabels: Record<string, string>, activeAt: number): Record<string, string> {
    const labels = alertLabels(rule, groupLabels);
    const others = [...this.records.values()].map((r) => ({ rule: r.rule, labels: r.labels, open: isOpen(r.state), activeAt: r.state.activeAt ?? 0 }));
    return { ...labels, [INCIDENT_LABEL]: incidentFor(labels.code ?? '', activeAt, others) };
  }

  private async deliver(): Promise<void> {
    const now = this.clock();
    for (const target of this.options.targets ?? []) {
      const batch: Array<{ record: AlertRecord; notice: AlertNotice }> = [];
      for (const record of this.records.values()) {
        const rule = this.rulesByName.get(record.rule);
        if (rule && this.due(target.name, record, now)) batch.push({ record, notice: noticeFor(rule, record, now, this.options.dashboardUrl) });
      }
      if (batch.length === 0) continue;
      const delivered = await target.deliver(batch.map((b) => b.notice));
      batch.forEach(({ record, notice }, i) => {
        if (delivered[i] !== true) return;
        const delivery = { ...record.delivery };
        if (target.name === 'alertmanager') {
          if (notice.status === 'firing') delivery.alertmanagerSentAt = now;
          else delivery.alertmanagerResolved = true;
        } else {
          delivery.webhook = notice.status;
        }
        this.records.set(keyOf(record.rule, record.groupKey), { ...record, delivery, version: Math.max(now, record.version + 1) });
      });
    }
  }

  private due(target: NotifyTarget['name'], record: AlertRecord, now: number): boolean {
    const { state, delivery } = record;
    if (state.phase === 'firing') {
      if (target === 'webhook') return delivery.webhook !== 'firing';
      return delivery.alertmanagerSentAt === null || now - delivery.alertmanagerSentAt >= this.resendMs;
    }
    if (state.phase === 'resolved' && state.firedAt !== null && state.resolvedAt !== null && now - state.resolvedAt < RESOLVED_NOTICE_HORIZON_MS) {
      if (target === 'webhook') return delivery.webhook !== 'resolved';
      return !delivery.alertmanagerResolved;
    }
    return false;
  }

  private async saveChanged(): Promise<void> {
    const changed: AlertRecord[] = [];
    for (const [key, record] of this.records) {
      const print = fingerprintOf(record);
      if (this.persisted.get(key) !== print) changed.push(record);
    }
    await this.table.save(changed);
    for (const record of changed) this.persisted.set(keyOf(record.rule, record.groupKey), fingerprintOf(record));
  }

  private updateGauges(): void {
    const { alerts } = this.options.metrics;
    alerts.reset();
    for (const rule of this.options.rules) {
      alerts.set({ rule: rule.name, state: 'pending' }, 0);
      alerts.set({ rule: rule.name, state: 'firing' }, 0);
    }
    for (const record of this.records.values()) {
      if (isOpen(record.state)) alerts.inc({ rule: record.rule, state: record.state.phase });
    }
  }

  /** Next instant at which any rule is due: (t - settle) a multiple of the rule's step. */
  private scheduleNext(): void {
    if (this.stopped) return;
    const now = Date.now();
    const dueTimes = this.options.rules.map((rule) => ({ rule, at: Math.floor((now - this.settleMs) / rule.step + 1) * rule.step + this.settleMs }));
    const next = Math.min(...dueTimes.map((d) => d.at));
    const rules = dueTimes.filter((d) => d.at === next).map((d) => d.rule);
    this.timer = setTimeout(() => {
      this.running = this.evaluateOnce(rules).catch((error: unknown) => {
        this.options.metrics.evaluationFailures.inc();
        this.options.logger.error({ err: error }, 'alert evaluation failed; retrying at the next step');
      });
      void this.running.finally(() => this.scheduleNext());
    }, Math.max(0, next - now));
  }
}

/** What is stored of a record, for "changed since last save" (version excluded). */
function fingerprintOf(record: AlertRecord): string {
  return JSON.stringify([record.labels, record.state, record.delivery, record.severity]);
}

function groupLabelsOf(labels: Record<string, string>): Record<string, string> {
  return labels.tenant !== undefined ? { tenant: labels.tenant } : {};
}
