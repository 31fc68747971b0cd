/** Wires the evaluator for a process (`alerter`, `serve`): settings, rules, targets, lease, timer. */
import type { ClickHouseClient } from '@csbs-errors/store';
import type { Logger, Registry } from '@csbs-errors/observability';
import { loadAlerterSettings, type AlerterSettings } from './env.js';
import { Evaluator } from './evaluator.js';
import { Lease } from './lease.js';
import { AlerterMetrics } from './metrics.js';
import { AlertmanagerTarget, WebhookTarget, type NotifyTarget } from './notify.js';
import { loadRules, type Rule } from './rules.js';

export interface RunningAlerter {
  evaluator: Evaluator;
  settings: AlerterSettings;
  stop(): Promise<void>;
}

export interface StartAlerterOptions {
  store: ClickHouseClient;
  logger: Logger;
  registry: Registry;
  /** Settings (default: from the environment). */
  settings?: AlerterSettings;
  /** Rules (default: from settings.rulesFile, else the built-in ones). */
  rules?: Rule[];
  /** Dashboard link when DASHBOARD_URL is unset (serve passes its own URL). */
  defaultDashboardUrl?: string;
}

/** Validates the settings and the rules (throws on a bad value) and starts evaluating. */
export function startAlerter(options: StartAlerterOptions): RunningAlerter {
  const settings = options.settings ?? loadAlerterSettings();
  const rules = options.rules ?? loadRules(settings.rulesFile);
  const logger = options.logger.child({ component: 'alerter' });
  const metrics = new AlerterMetrics(options.registry);
  const dashboardUrl = settings.dashboardUrl ?? options.defaultDashboardUrl;
  const targets: NotifyTarget[] = [];
  if (settings.alertmanagerUrl !== undefined) targets.push(new AlertmanagerTarget(settings.alertmanagerUrl, metrics, logger));
  if (settings.webhookUrl !== undefined) targets.push(new WebhookTarget(settings.webhookUrl, dashboardUrl ?? '', metrics, logger));
  const lease = new Lease(options.store, { holder: settings.instanceId, ttlMs: settings.leaseTtlMs });
  const evaluator = new Evaluator({
    store: options.store,
    rules,
    logger,
    metrics,
    targets,
    lease,
    settleMs: settings.settleMs,
    resendMs: settings.resendMs,
    ...(dashboardUrl !== undefined ? { dashboardUrl } : {}),
  });
  evaluator.start();
  logger.info(
    { rules: rules.map((r) => r.name), targets: targets.map((t) => t.name), instance: settings.instanceId },
    targets.length === 0 ? 'alert evaluator started (no ALERTMANAGER_URL or ALERT_WEBHOOK_URL: alerts are recorded, not sent)' : 'alert evaluator started',
  );
  return { evaluator, settings, stop: () => evaluator.stop() };
}
