export { InvalidParameter, QueryLimitExceeded } from './errors.js';
export {
  parseInstant,
  parseTimeParameter,
  resolveInterval,
  autoInterval,
  bucketCount,
  floorTo,
  ceilTo,
  iso,
  INTERVALS,
  INTERVAL_NAMES,
  AUTO_TARGET_BUCKETS,
  MAX_BUCKETS,
  MINUTE_MS,
  HOUR_MS,
  DAY_MS,
  EARLIEST_MS,
  LATEST_MS,
  type IntervalName,
  type ResolvedInterval,
} from './time.js';
export { resolveWindow, previousWindow, minuteWindow, NO_FILTERS, MAX_WINDOW_MS, MAX_REPORT_WINDOW_MS, type Window, type Filters } from './window.js';
export {
  ROLLUPS,
  FULL_ROLLUPS,
  GROUP_FIELDS,
  planRollups,
  planSegments,
  neededColumns,
  windowedCounts,
  errorCountsSource,
  filterSql,
  type Rollup,
  type RollupColumn,
  type GroupField,
  type Segment,
  type BoundSql,
} from './counts.js';
export { boundQuery, cachedQuery, DEFAULT_QUERY_LIMITS, BATCH_QUERY_LIMITS, DEFAULT_QUERY_CACHE, type QueryFn, type QueryLimits, type QueryCache } from './runner.js';
export { groupOf, type GroupKey } from './reads/groups.js';
export { readFrequency, type Frequency, type FrequencyGroup, type FrequencyRequest } from './reads/frequency.js';
export { readTrend, type TrendSeries, type TrendRequest } from './reads/trend.js';
export { readRate, type RateRequest, type RateSeries } from './reads/rate.js';
export { readObservedCodes, codeEverSeen, type ObservedCode, type CodesRequest } from './reads/codes.js';
export { readEventsPage, countEventsFromTopic, type EventKey, type EventsPage, type StoredEventRow } from './reads/events.js';
export { readAlertList, readLatestEpisodes, type AlertListRequest, type StoredAlert, type StoredAlertNumbers, type StoredAlertPhase } from './reads/alerts.js';
export { readMinuteCounts, type MinuteRange, type MinuteCount } from './reads/minutes.js';
export { querySummary, changeOf } from './postmortem/summary.js';
export { queryCodeCounts, queryStatusCounts, queryUnknownCodes, type CodeCount, type StatusCount } from './postmortem/codes.js';
export { queryFirstAndLast, queryPeakMinute, querySeries, seriesInterval } from './postmortem/timeline.js';
export { queryBreakdown, type BreakdownField } from './postmortem/breakdown.js';
export { queryAlerts } from './postmortem/alerts.js';
export { queryResourceKinds, type PlaceholderKinds } from './postmortem/resources.js';
export type * from './postmortem/model.js';
export { INCIDENT_LABEL, incidentId, incidentFor, groupIncidents, type Incident, type IncidentMember } from './incidents.js';
