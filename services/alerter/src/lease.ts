/**
 * One active evaluator among several processes: a lease row in ClickHouse (`alerter_lease`).
 *
 * ClickHouse has no compare-and-set, so a claim is "insert, wait, read back":
 *   1. read the newest row; another holder whose lease has not expired → stay standby;
 *   2. insert (me, now + ttl, version = max(now, newest.version + 1));
 *   3. on a take-over, wait `settleMs` so that a rival's concurrent claim is visible too, then read
 *      back: the row with the highest (version, holder) is the holder, and every reader agrees on it.
 * The holder renews every ttl/3 and reads back each time; seeing someone else's row, it steps down.
 *
 * Honest limits: times come from the evaluators' clocks (keep them NTP-synced; skew must stay far
 * below the ttl), and there is no fencing token on the alert writes: a holder frozen for longer than
 * the ttl (a GC pause, a stopped VM) may write once more after it lost the lease. Such a write is a
 * row with an older version for the same alert, which the new holder's next write supersedes.
 * The embedded store is owned by one process anyway; the lease matters with a ClickHouse server.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '@csbs-errors/store';

export interface LeaseOptions {
  name?: string;
  holder: string;
  ttlMs?: number;
  /** Wait between a take-over claim and its read-back. */
  settleMs?: number;
  clock?: () => number;
}

interface LeaseRow {
  lease_holder: string;
  lease_expires: string | number;
  lease_version: string | number;
}

export class Lease {
  readonly name: string;
  readonly holder: string;
  readonly ttlMs: number;
  private readonly settleMs: number;
  private readonly clock: () => number;
  /** Our lease's expiry while we hold it, else null. */
  private heldUntil: number | null = null;

  constructor(
    private readonly store: ClickHouseClient,
    options: LeaseOptions,
  ) {
    this.name = options.name ?? 'alert-evaluator';
    this.holder = options.holder;
    this.ttlMs = options.ttlMs ?? 30_000;
    this.settleMs = options.settleMs ?? 500;
    this.clock = options.clock ?? Date.now;
  }

  get held(): boolean {
    return this.heldUntil !== null && this.heldUntil > this.clock();
  }

  /** Takes or renews the lease when due; true while this process is the active evaluator. */
  async hold(): Promise<boolean> {
    const now = this.clock();
    if (this.heldUntil !== null && this.heldUntil - now > (this.ttlMs * 2) / 3) return true;
    const current = await this.current();
    if (current && current.holder !== this.holder && current.expiresAt > now) {
      this.heldUntil = null;
      return false;
    }
    const takeover = current?.holder !== this.holder;
    const expiresAt = now + this.ttlMs;
    await this.store.insert({
      table: 'alerter_lease',
      values: [{ name: this.name, holder: this.holder, expires_at: new Date(expiresAt).toISOString(), version: Math.max(now, (current?.version ?? 0) + 1) }],
      format: 'JSONEachRow',
    });
    if (takeover && this.settleMs > 0) await sleep(this.settleMs);
    const winner = await this.current();
    this.heldUntil = winner?.holder === this.holder ? expiresAt : null;
    return this.heldUntil !== null;
  }

  /** Gives the lease up (expires it now) if we hold it, so that a standby takes over at once. */
  async release(): Promise<void> {
    if (this.heldUntil === null) return;
    const current = await this.current();
    this.heldUntil = null;
    if (current?.holder !== this.holder) return;
    await this.store.insert({
      table: 'alerter_lease',
      values: [{ name: this.name, holder: this.holder, expires_at: new Date(0).toISOString(), version: current.version + 1 }],
      format: 'JSONEachRow',
    });
  }

  /** The current holder as every reader sees it: the row with the highest (version, holder). */
  async current(): Promise<{ holder: string; expiresAt: number; version: number } | null> {
    const rows = await (
      await this.store.query({
        query: `SELECT argMax(holder, (version, holder)) AS lease_holder, toUnixTimestamp64Milli(argMax(expires_at, (version, holder))) AS lease_expires,
                       max(version) AS lease_version, count() AS n
                FROM alerter_lease WHERE name = {name:String} HAVING n > 0`,
        query_params: { name: this.name },
        format: 'JSONEachRow',
      })
    ).json<LeaseRow>();
    const row = rows[0];
    return row ? { holder: row.lease_holder, expiresAt: Number(row.lease_expires), version: Number(row.lease_version) } : null;
  }
}
