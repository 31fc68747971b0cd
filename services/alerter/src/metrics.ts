import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The alerter's Prometheus metrics (registered once per registry). */
export class AlerterMetrics {
  readonly evaluations: Counter<'rule'>;
  readonly evaluationFailures: Counter;
  readonly evaluationSeconds: Histogram;
  readonly alerts: Gauge<'rule' | 'state'>;
  readonly transitions: Counter<'rule' | 'transition'>;
  readonly notifications: Counter<'target' | 'outcome'>;
  readonly notificationRetries: Counter<'target'>;
  readonly leaseHeld: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.evaluations = new Counter({ name: 'csbs_errors_alert_evaluations_total', help: 'Rule evaluations, by rule', labelNames: ['rule'], registers });
    this.evaluationFailures = new Counter({ name: 'csbs_errors_alert_evaluation_failures_total', help: 'Evaluation rounds that failed (store unreachable, ...); retried at the next step', registers });
    this.evaluationSeconds = new Histogram({ name: 'csbs_errors_alert_evaluation_seconds', help: 'Time of one evaluation round (all due rules)', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers });
    this.alerts = new Gauge({ name: 'csbs_errors_alerts', help: 'Open alerts, by rule and state (pending, firing)', labelNames: ['rule', 'state'], registers });
    this.transitions = new Counter({ name: 'csbs_errors_alert_transitions_total', help: 'Alert state transitions, by rule', labelNames: ['rule', 'transition'], registers });
    this.notifications = new Counter({ name: 'csbs_errors_alert_notifications_total', help: 'Notification deliveries, by target (alertmanager, webhook) and outcome (sent, failed)', labelNames: ['target', 'outcome'], registers });
    this.notificationRetries = new Counter({ name: 'csbs_errors_alert_notification_retries_total', help: 'Failed delivery attempts that were retried, by target', labelNames: ['target'], registers });
    this.leaseHeld = new Gauge({ name: 'csbs_errors_alert_lease_held', help: '1 while this process is the active evaluator', registers });
  }
}
