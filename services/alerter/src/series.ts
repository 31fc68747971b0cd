/**
 * Per-minute error and request series for a rule, read through @csbs-errors/query: the rule's codes'
 * errors and all requests to the service, per tenant when the rule groups by tenant. Only the minute
 * ranges the detector will read are queried.
 */
import type { ClickHouseClient } from '@csbs-errors/store';
import { boundQuery, readMinuteCounts, type MinuteRange } from '@csbs-errors/query';
import { SparseSeries, sampleWindowEnds, paramsOf, type MinuteSeries } from './detect.js';
import type { Rule } from './rules.js';

export interface GroupSeries {
  labels: Record<string, string>;
  series: MinuteSeries;
}

export type { MinuteRange };

/** The minute ranges one evaluation of `rule` reads when its newest complete minute is `endMinute`. */
export function rangesFor(rule: Rule, endMinute: number): MinuteRange[] {
  const params = paramsOf(rule);
  const window = params.windowMinutes;
  const ranges: MinuteRange[] = [{ fromMinute: endMinute - window + 1, toMinute: endMinute + 1 }];
  const ends = sampleWindowEnds(endMinute, params);
  if (ends.length === 0) return ranges;
  if (params.seasonality === 'none') {
    const oldest = Math.min(...ends);
    return [{ fromMinute: oldest - window + 1, toMinute: endMinute + 1 }];
  }
  // Seasonal: one range per previous day/week around the same time.
  const period = params.seasonality === 'daily' ? 1_440 : 10_080;
  for (let season = 1; season <= params.seasons; season++) {
    const centre = endMinute - season * period;
    ranges.push({ fromMinute: centre - params.seasonWidthMinutes - window + 1, toMinute: centre + params.seasonWidthMinutes + 1 });
  }
  return ranges;
}

export async function loadSeries(store: ClickHouseClient, rule: Rule, ranges: readonly MinuteRange[]): Promise<GroupSeries[]> {
  const byTenant = rule.groupBy.includes('tenant');
  const counts = await readMinuteCounts(boundQuery(store), { codes: rule.codes, ranges, byTenant });
  const groups = new Map<string, SparseSeries>();
  for (const row of counts.errors) {
    let series = groups.get(row.tenant);
    if (!series) {
      series = new SparseSeries();
      groups.set(row.tenant, series);
    }
    series.addErrors(row.minute, row.count);
  }
  // Requests only matter for groups that have errors: a tenant without any is never a spike.
  for (const row of counts.requests) groups.get(row.tenant)?.addRequests(row.minute, row.count);
  if (!byTenant && !groups.has('')) groups.set('', new SparseSeries());
  return [...groups.entries()].map(([key, series]): GroupSeries => ({ labels: byTenant ? { tenant: key } : {}, series }));
}
