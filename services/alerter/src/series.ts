/**
 * Per-minute error and request series for a rule, read from the rollups: error_counts_1m (the rule's
 * codes) and request_counts_1m (all requests to the service), per tenant when the rule groups by
 * tenant. Only the minute ranges the detector will read are queried.
 */
import type { ClickHouseClient } from '@csbs-errors/store';
import { SparseSeries, sampleWindowEnds, paramsOf, windowsOf, type MinuteSeries } from './detect.js';
import type { Rule } from './rules.js';

export interface GroupSeries {
  labels: Record<string, string>;
  series: MinuteSeries;
}

/** Epoch minutes [fromMinute, toMinute). */
export interface MinuteRange {
  fromMinute: number;
  toMinute: number;
}

/** The minute ranges one evaluation of `rule` reads when its newest complete minute is `endMinute`. */
export function rangesFor(rule: Rule, endMinute: number): MinuteRange[] {
  // The longest window judged reaches furthest back.
  const window = Math.max(...windowsOf(paramsOf(rule)));
  const params = { ...paramsOf(rule), windowMinutes: window };
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

interface CountRow {
  m: number | string;
  tenant?: string;
  n: number | string;
}

export async function loadSeries(store: ClickHouseClient, rule: Rule, ranges: readonly MinuteRange[]): Promise<GroupSeries[]> {
  const byTenant = rule.groupBy.includes('tenant');
  const params: Record<string, unknown> = { codes: rule.codes };
  const conditions = ranges.map((range, i) => {
    params[`f${i}`] = range.fromMinute * 60;
    params[`t${i}`] = range.toMinute * 60;
    return `(minute >= toDateTime({f${i}:UInt32}, 'UTC') AND minute < toDateTime({t${i}:UInt32}, 'UTC'))`;
  });
  const inRanges = conditions.length > 0 ? `(${conditions.join(' OR ')})` : '0';
  const groupColumns = byTenant ? 'm, tenant' : 'm';
  const [errorRows, requestRows] = await Promise.all([
    rows<CountRow>(
      store,
      `SELECT intDiv(toUnixTimestamp(minute), 60) AS m${byTenant ? ', tenant' : ''}, sum(count) AS n
       FROM error_counts_1m WHERE code IN {codes:Array(String)} AND ${inRanges} GROUP BY ${groupColumns}`,
      params,
    ),
    rows<CountRow>(
      store,
      `SELECT intDiv(toUnixTimestamp(minute), 60) AS m${byTenant ? ', tenant' : ''}, sum(requests) AS n
       FROM request_counts_1m WHERE ${inRanges} GROUP BY ${groupColumns}`,
      params,
    ),
  ]);
  const groups = new Map<string, SparseSeries>();
  const groupOf = (row: CountRow) => {
    const key = byTenant ? (row.tenant ?? '') : '';
    let series = groups.get(key);
    if (!series) {
      series = new SparseSeries();
      groups.set(key, series);
    }
    return series;
  };
  for (const row of errorRows) groupOf(row).addErrors(Number(row.m), Number(row.n));
  // Requests only matter for groups that have errors: a tenant without any is never a spike.
  for (const row of requestRows) {
    const key = byTenant ? (row.tenant ?? '') : '';
    groups.get(key)?.addRequests(Number(row.m), Number(row.n));
  }
  if (!byTenant && !groups.has('')) groups.set('', new SparseSeries());
  return [...groups.entries()].map(([key, series]): GroupSeries => ({ labels: byTenant ? { tenant: key } : {}, series }));
}

async function rows<T>(store: ClickHouseClient, query: string, query_params: Record<string, unknown>): Promise<T[]> {
  return (await store.query({ query, query_params, format: 'JSONEachRow' })).json<T>();
}

