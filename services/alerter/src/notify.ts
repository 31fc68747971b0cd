/**
 * Delivery of alerts: Alertmanager's v2 API (`POST /api/v2/alerts`) and a generic webhook that
 * receives Alertmanager's webhook payload (version 4), one message per alert. Each delivery is tried
 * a few times with exponential backoff and jitter; what still fails is counted and reported back
 * (the evaluator tries again at its next step). Nothing here throws.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@csbs-errors/observability';
import type { AlerterMetrics } from './metrics.js';

export interface AlertNotice {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  /** Set when resolved. */
  endsAt?: string;
  generatorURL?: string;
}

export interface NotifyTarget {
  readonly name: 'alertmanager' | 'webhook';
  /** Delivers the notices; one flag per notice: delivered or not. */
  deliver(notices: readonly AlertNotice[]): Promise<boolean[]>;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 250, timeoutMs: 3_000 };

/** Alertmanager's identity of an alert: its label set. */
export function fingerprint(labels: Record<string, string>): string {
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k] ?? ''}`)
    .join('\u0001');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

class Poster {
  constructor(
    private readonly target: NotifyTarget['name'],
    private readonly retry: RetryPolicy,
    private readonly metrics: AlerterMetrics,
    private readonly logger: Logger,
  ) {}

  /** POSTs JSON; true on a 2xx. Retries network errors, 5xx and 429; a 4xx is final (it would fail again). */
  async post(url: string, body: unknown): Promise<boolean> {
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      let retryable = true;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.retry.timeoutMs),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          this.metrics.notifications.inc({ target: this.target, outcome: 'sent' });
          return true;
        }
        lastProblem = `HTTP ${response.status}`;
        retryable = response.status >= 500 || response.status === 429;
      } catch (error) {
        lastProblem = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      if (!retryable || attempt === this.retry.attempts) break;
      this.metrics.notificationRetries.inc({ target: this.target });
      const backoff = this.retry.baseDelayMs * 2 ** (attempt - 1);
      await sleep(backoff / 2 + Math.random() * (backoff / 2));
    }
    this.metrics.notifications.inc({ target: this.target, outcome: 'failed' });
    this.logger.warn({ target: this.target, problem: lastProblem }, 'alert notification failed; will retry at the next evaluation');
    return false;
  }
}

/** Pushes alerts to Alertmanager; all notices of a round go in one request. */
export class AlertmanagerTarget implements NotifyTarget {
  readonly name = 'alertmanager' as const;
  private readonly poster: Poster;
  private readonly url: string;

  constructor(baseUrl: string, metrics: AlerterMetrics, logger: Logger, retry: RetryPolicy = DEFAULT_RETRY) {
    this.url = `${baseUrl.replace(/\/+$/, '')}/api/v2/alerts`;
    this.poster = new Poster(this.name, retry, metrics, logger);
  }

  async deliver(notices: readonly AlertNotice[]): Promise<boolean[]> {
    if (notices.length === 0) return [];
    const body = notices.map((n) => ({
      labels: n.labels,
      annotations: n.annotations,
      startsAt: n.startsAt,
      // Firing: no endsAt; Alertmanager keeps the alert for its resolve_timeout, and we re-send sooner.
      ...(n.endsAt !== undefined ? { endsAt: n.endsAt } : {}),
      ...(n.generatorURL !== undefined ? { generatorURL: n.generatorURL } : {}),
    }));
    const ok = await this.poster.post(this.url, body);
    return notices.map(() => ok);
  }
}

/** Alertmanager's webhook payload (version 4) for one alert: receivers written for Alertmanager read it as is. */
export function webhookPayload(notice: AlertNotice, externalURL: string): Record<string, unknown> {
  const groupLabels = notice.labels;
  const key = Object.keys(groupLabels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(groupLabels[k] ?? '')}`)
    .join(',');
  return {
    version: '4',
    groupKey: `{}:{${key}}`,
    truncatedAlerts: 0,
    status: notice.status,
    receiver: 'csbs-errors',
    groupLabels,
    commonLabels: notice.labels,
    commonAnnotations: notice.annotations,
    externalURL,
    alerts: [
      {
        status: notice.status,
        labels: notice.labels,
        annotations: notice.annotations,
        startsAt: notice.startsAt,
        endsAt: notice.endsAt ?? '0001-01-01T00:00:00Z',
        generatorURL: notice.generatorURL ?? '',
        fingerprint: fingerprint(notice.labels),
      },
    ],
  };
}

export class WebhookTarget implements NotifyTarget {
  readonly name = 'webhook' as const;
  private readonly poster: Poster;

  constructor(
    private readonly url: string,
    private readonly externalURL: string,
    metrics: AlerterMetrics,
    logger: Logger,
    retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.poster = new Poster(this.name, retry, metrics, logger);
  }

  async deliver(notices: readonly AlertNotice[]): Promise<boolean[]> {
    return Promise.all(notices.map((notice) => this.poster.post(this.url, webhookPayload(notice, this.externalURL))));
  }
}
