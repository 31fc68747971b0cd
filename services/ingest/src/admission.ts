/**
 * Which record times the worker stores: not older than the store keeps (RETENTION_DAYS), not further
 * ahead than INGEST_MAX_FUTURE_MS. A record outside is dead-lettered with its reason (`too_old`,
 * `too_far_in_future`) and counted, instead of being stored into a partition the TTL drops at once
 * or that a wrong clock made up. Times are judged against the batch's own clock (its intent keeps
 * it), so that a rebuilt batch admits exactly the records of the first attempt.
 */
import type { RecordOutcome } from '@csbs-errors/extract';

export interface TimeWindow {
  /** 0: no lower bound (everything is kept). */
  retentionDays: number;
  maxFutureMs: number;
}

const DAY_MS = 86_400_000;

/** The outcomes with every event or request outside the window turned into a dead record (`raw`: the whole message). */
export function admitRecordTimes(outcomes: RecordOutcome[], raw: Uint8Array, window: TimeWindow, referenceMs: number): RecordOutcome[] {
  const oldest = window.retentionDays > 0 ? referenceMs - window.retentionDays * DAY_MS : -Infinity;
  const newest = referenceMs + window.maxFutureMs;
  let admitted = outcomes;
  outcomes.forEach((outcome, index) => {
    if (outcome.kind !== 'event' && outcome.kind !== 'request') return;
    const ts = Date.parse(outcome.request.ts);
    if (ts >= oldest && ts <= newest) return;
    if (admitted === outcomes) admitted = [...outcomes];
    admitted[index] =
      ts > newest
        ? { kind: 'dead', reason: 'too_far_in_future', detail: `record time ${outcome.request.ts} is more than ${window.maxFutureMs} ms ahead of ${new Date(referenceMs).toISOString()}`, raw }
        : { kind: 'dead', reason: 'too_old', detail: `record time ${outcome.request.ts} is older than the ${window.retentionDays} days kept`, raw };
  });
  return admitted;
}
