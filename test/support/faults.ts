/**
 * The harness of the exactly-once tests of the ingest worker (test/ingest-*.test.ts):
 *
 * - a corpus built from the shared samples whose expectations are computed from
 *   expected-events.ndjson, independently of the code under test (`sampleCorpus`);
 * - the checks "every expected event stored exactly once" in ClickHouse and "every unreadable record
 *   dead-lettered exactly once" in Kafka (`assertStoredExactlyOnce`, `assertDeadLetteredExactlyOnce`);
 * - worker child processes (`startWorker`), the group's progress (`groupProgress`) and the expiry
 *   of a killed member (`expireMembers`);
 * - the store fault hook, a TEST HOOK ONLY: a process started with `--import <this file>` and
 *   CSBS_FAULT_STORE_FILE=/path makes the inserts of its ClickHouse client fail while that file
 *   exists (`startWorker(..., { storeFaults: true })`). Nothing of the services knows about it: the
 *   hook patches `@clickhouse/client`, the storage boundary the embedded engine and a server share.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { ClickHouseClient as NodeClickHouseClient } from '@clickhouse/client';
import kafkajs from 'kafkajs';
import type { ClickHouseClient } from '@csbs-errors/store';
import type { LogSource } from '@csbs-errors/ingest';
import { createTopic, kafkaRequest, kafkaString, uniqueTopic } from './kafka.js';

// ---------------------------------------------------------------------------------------------
// the store fault hook (runs only in a child started with --import of this file and the env set)

/**
 * While the file exists, every insert of this process fails. Its content picks how:
 * `before` (the insert is not made), `after` (the insert is made, then the call fails: a lost
 * acknowledgement), anything else or empty: one of both or a success, at random per insert.
 * Each failure appends a line to `<file>.log`, so that a test can tell the faults happened.
 */
export const STORE_FAULT_ENV = 'CSBS_FAULT_STORE_FILE';

function installStoreFaults(file: string): void {
  const proto = Object.getPrototypeOf(NodeClickHouseClient.prototype) as { insert: (...args: unknown[]) => Promise<unknown> };
  const insert = proto.insert;
  proto.insert = async function faultyInsert(this: unknown, ...args: unknown[]) {
    let mode: string;
    try {
      mode = readFileSync(file, 'utf8').trim();
    } catch {
      return insert.apply(this, args); // no file: the store works
    }
    const pick = mode === 'before' || mode === 'after' ? mode : (['before', 'after', 'pass'] as const)[Math.floor(Math.random() * 3)];
    if (pick === 'pass') return insert.apply(this, args);
    if (pick === 'after') await insert.apply(this, args);
    appendFileSync(`${file}.log`, `${pick}\n`);
    throw new Error(`injected store fault (${pick} the insert)`);
  };
}

const faultFile = process.env[STORE_FAULT_ENV];
if (faultFile !== undefined && faultFile !== '') installStoreFaults(faultFile);

/**
 * While the file exists, kafkajs cannot decompress ZSTD record batches in this process: the ZSTD
 * codec slot of kafkajs is pinned to one that fails then (content `missing`: as if there were no
 * codec; else as a corrupt batch), and passes to the codec the service registers otherwise.
 */
export const CODEC_FAULT_ENV = 'CSBS_FAULT_ZSTD_FILE';

function installCodecFault(file: string): void {
  const codecs = kafkajs.CompressionCodecs as unknown as Record<number, () => { compress: unknown; decompress: (buffer: Buffer) => Promise<Buffer> }>;
  let registered: (typeof codecs)[number] | undefined;
  Object.defineProperty(codecs, kafkajs.CompressionTypes.ZSTD, {
    configurable: true,
    set: (codec: (typeof codecs)[number]) => void (registered = codec),
    get: () => () => {
      const real = registered?.();
      return {
        compress: real?.compress,
        decompress: async (buffer: Buffer) => {
          if (existsSync(file)) {
            // `missing`: fails as a codec kafkajs does not have (not retriable: the consumer stops);
            // anything else: as a corrupt batch (kafkajs retries the fetch, and nothing moves).
            const missing = readFileSync(file, 'utf8').trim() === 'missing';
            appendFileSync(`${file}.log`, `${missing ? 'missing' : 'corrupt'}\n`);
            throw Object.assign(new Error(`injected fault: this ZSTD record batch cannot be decompressed (${missing ? 'no codec' : 'corrupt'})`), missing ? { retriable: false } : {});
          }
          if (!real) throw new Error('no ZSTD codec registered');
          return real.decompress(buffer);
        },
      };
    },
  });
}

const codecFaultFile = process.env[CODEC_FAULT_ENV];
if (codecFaultFile !== undefined && codecFaultFile !== '') installCodecFault(codecFaultFile);

/** Injected failures so far, by kind (`before`, `after`). */
export function storeFaultsInjected(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  if (!existsSync(`${file}.log`)) return counts;
  for (const line of readFileSync(`${file}.log`, 'utf8').split('\n')) if (line !== '') counts[line] = (counts[line] ?? 0) + 1;
  return counts;
}

// ---------------------------------------------------------------------------------------------
// the corpus

const samplesDir = fileURLToPath(new URL('../../../shared/samples/', import.meta.url));

export interface Expectation {
  messages: number;
  events: number;
  dead: number;
  requests: number;
  byCode: Record<string, number>;
}

interface ExpectedLine {
  events: Array<{ code: string }>;
  dead: number;
  requests: number;
}

/** The sample lines as Kafka message values (bytes, split on \n only) with their expectations. */
export function sampleLines(): Array<{ value: Buffer; expected: ExpectedLine }> {
  const raw = readFileSync(`${samplesDir}gateway-records.ndjson`);
  const values: Buffer[] = [];
  let start = 0;
  for (let i = raw.indexOf(0x0a); i >= 0; i = raw.indexOf(0x0a, start)) {
    values.push(raw.subarray(start, i));
    start = i + 1;
  }
  if (start < raw.length) values.push(raw.subarray(start));
  const expected = readFileSync(`${samplesDir}expected-events.ndjson`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ExpectedLine);
  assert.equal(values.length, expected.length, 'one expectation per sample line');
  return values.map((value, i) => ({ value, expected: expected[i]! }));
}

export function emptyExpectation(): Expectation {
  return { messages: 0, events: 0, dead: 0, requests: 0, byCode: {} };
}

export function addExpectation(into: Expectation, line: ExpectedLine): void {
  into.messages += 1;
  into.events += line.events.length;
  into.dead += line.dead;
  into.requests += line.requests;
  for (const event of line.events) into.byCode[event.code] = (into.byCode[event.code] ?? 0) + 1;
}

/** `copies` times every sample line (copy after copy): each copy yields that line's expectation. */
export function sampleCorpus(copies: number): { values: Buffer[]; expected: Expectation } {
  const lines = sampleLines();
  const values: Buffer[] = [];
  const expected = emptyExpectation();
  for (let copy = 0; copy < copies; copy++) {
    for (const line of lines) {
      values.push(line.value);
      addExpectation(expected, line.expected);
    }
  }
  return { values, expected };
}

// ---------------------------------------------------------------------------------------------
// Kafka

function client(brokers: string[]) {
  return new kafkajs.Kafka({ clientId: 'csbs-errors-test', brokers, logLevel: kafkajs.logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 10 } });
}

/**
 * Commits `offset` with `metadata` on partition 0 for the group, as a member (the way the worker
 * commits its intent): the state an owner leaves behind when it dies between intent and commit.
 */
export async function commitAsMember(brokers: string[], group: string, topic: string, offset: string, metadata: string): Promise<void> {
  const consumer = client(brokers).consumer({ groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let joined!: () => void;
  const ready = new Promise<void>((resolve) => (joined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
  await ready;
  await consumer.commitOffsets([{ topic, partition: 0, offset, metadata }]);
  await consumer.disconnect();
}

/** `source` with some of its methods replaced: the real kafkajs source, with one step changed by a test. */
export function overriding(source: LogSource, overrides: Partial<LogSource>): LogSource {
  return {
    start: (handlers) => source.start(handlers),
    committed: (topic, partition) => source.committed(topic, partition),
    commit: (topic, partition, offset, metadata) => source.commit(topic, partition, offset, metadata),
    fence: (topic, partition) => source.fence(topic, partition),
    commitWithDeadLetters: (topic, partition, offset, letters, due) => source.commitWithDeadLetters(topic, partition, offset, letters, due),
    seek: (topic, partition, offset) => source.seek(topic, partition, offset),
    stop: () => source.stop(),
    ...overrides,
  };
}

const SEND_TIMEOUT_MS = 20_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Produces `values` (no key: spread round robin over the partitions), `chunk` messages per send.
 * With `ratePerSecond` the sends are paced; `stop()` of the returned handle ends early. With
 * `resend`, a failed send is sent again by a fresh producer (a broker failing under kafkajs' idempotent
 * producer can end it with OUT_OF_ORDER_SEQUENCE_NUMBER): the topic may then hold part of a chunk
 * twice, so compute the expectation from what it holds (`topicExpectation`). `resends` counts them.
 */
export function produce(
  brokers: string[],
  topic: string,
  values: Buffer[],
  options: { chunk?: number; ratePerSecond?: number; resend?: boolean } = {},
): { done: Promise<number>; stop: () => void; resends: () => number } {
  let stopped = false;
  let resends = 0;
  const chunk = options.chunk ?? 500;
  const done = (async () => {
    const connected = async () => {
      const producer = client(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      return producer;
    };
    let producer = await connected();
    const started = Date.now();
    let sent = 0;
    try {
      while (sent < values.length && !stopped) {
        const part = values.slice(sent, sent + chunk);
        const sending = producer.send({ topic, acks: -1, messages: part.map((value) => ({ value })) });
        try {
          // kafkajs' send can hang for good after a broker dies under it: give up on it after a while.
          await (options.resend ? withTimeout(sending, SEND_TIMEOUT_MS, 'send') : sending);
        } catch (error) {
          if (!options.resend) throw error;
          sending.catch(() => undefined);
          resends += 1;
          const old = producer;
          void withTimeout(old.disconnect(), 5_000, 'disconnect').catch(() => undefined);
          await new Promise((r) => setTimeout(r, 500));
          producer = await connected();
          continue;
        }
        sent += part.length;
        if (options.ratePerSecond !== undefined) {
          const due = started + (sent / options.ratePerSecond) * 1000;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        }
      }
    } finally {
      await (options.resend ? withTimeout(producer.disconnect(), 5_000, 'disconnect').catch(() => undefined) : producer.disconnect());
    }
    return sent;
  })();
  return { done, stop: () => void (stopped = true), resends: () => resends };
}

/**
 * A new one-partition topic (named after `name`) and its dead-letter topic, holding `copies` of the
 * sample corpus (`sampleCorpus`), with a group name of its own.
 */
export async function corpusTopic(brokers: string[], name: string, copies: number): Promise<{ topic: string; group: string; dlq: string; values: Buffer[]; expected: Expectation }> {
  const topic = uniqueTopic(name);
  const dlq = `${topic}.dlq`;
  await createTopic(brokers, topic, 1);
  await createTopic(brokers, dlq, 1);
  const { values, expected } = sampleCorpus(copies);
  assert.equal(await produce(brokers, topic, values).done, values.length);
  return { topic, group: `${topic}-group`, dlq, values, expected };
}

/**
 * The expectation of what `topic` holds, message by message (sample lines, as `sampleCorpus` made
 * them): read back from the broker, so that records a producer wrote twice count twice.
 */
export async function topicExpectation(brokers: string[], topic: string): Promise<Expectation> {
  const byValue = new Map(sampleLines().map((line) => [line.value.toString('latin1'), line.expected]));
  const admin = client(brokers).admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  await admin.disconnect();
  const expected = emptyExpectation();
  const read = new Map<number, number>();
  const complete = () => [...ends].every(([partition, high]) => (read.get(partition) ?? 0) >= high);
  const consumer = client(brokers).consumer({ groupId: `${topic}-expectation-${Date.now()}`, maxBytesPerPartition: 8 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        const line = byValue.get(message.value?.toString('latin1') ?? '');
        assert.ok(line !== undefined, `${topic}/${batch.partition}@${message.offset} is no sample line`);
        addExpectation(expected, line);
        read.set(batch.partition, Number(message.offset) + 1);
      }
    },
  });
  try {
    const deadline = Date.now() + 300_000;
    while (!complete()) {
      assert.ok(Date.now() < deadline, `could not read ${topic} back: ${JSON.stringify([...read])} of ${JSON.stringify([...ends])}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return expected;
}

export interface GroupProgress {
  /** Sum over partitions of the committed offsets (0 where none) and of the high watermarks. */
  committed: number;
  end: number;
  /** Partitions whose commit carries a batch intent (a batch between its intent and its commit). */
  intents: number;
}

const INTENT = /^csbs-errors\/v\d+ batch \d+-\d+(?: at \d+)?$/;

export async function groupProgress(brokers: string[], groupId: string, topic: string): Promise<GroupProgress> {
  const watch = await watchGroup(brokers, groupId, topic);
  try {
    return await watch.progress();
  } finally {
    await watch.close();
  }
}

/** A connected admin client that asks for the group's progress as often as needed. */
export async function watchGroup(brokers: string[], groupId: string, topic: string): Promise<{ progress: () => Promise<GroupProgress>; close: () => Promise<void> }> {
  const admin = client(brokers).admin();
  await admin.connect();
  return {
    async progress() {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const ends = await admin.fetchTopicOffsets(topic);
      let committed = 0;
      let intents = 0;
      for (const p of offsets?.partitions ?? []) {
        if (p.offset !== '-1') committed += Number(p.offset);
        if (p.metadata !== null && INTENT.test(p.metadata)) intents += 1;
      }
      return { committed, end: ends.reduce((sum, p) => sum + Number(p.high), 0), intents };
    },
    close: () => admin.disconnect(),
  };
}

export function isDone(progress: GroupProgress): boolean {
  return progress.end > 0 && progress.committed === progress.end && progress.intents === 0;
}

/** Waits until the group has committed everything produced to `topic` (no batch left open). */
export async function waitUntilDone(brokers: string[], groupId: string, topic: string, timeoutMs: number, alive?: () => string | undefined): Promise<GroupProgress> {
  const deadline = Date.now() + timeoutMs;
  let last: GroupProgress | undefined;
  for (;;) {
    const dead = alive?.();
    if (dead !== undefined) throw new Error(`worker gone before the group was done: ${dead}`);
    try {
      last = await groupProgress(brokers, groupId, topic);
      if (isDone(last)) return last;
    } catch {
      // the broker may be restarting: ask again
    }
    if (Date.now() > deadline) throw new Error(`group ${groupId} not done after ${timeoutMs} ms: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Removes every current member from the group (a LeaveGroup v0 in its name, sent to `brokers[0]`,
 * which must be the group coordinator: the tests run one broker). This is what the coordinator does
 * by itself when a killed member's session times out (30 s); doing it at once keeps the kill tests
 * short and changes nothing the worker sees: its partitions are given to the members that remain.
 */
export async function expireMembers(brokers: string[], groupId: string): Promise<number> {
  const admin = client(brokers).admin();
  await admin.connect();
  let members: string[];
  try {
    const { groups } = await admin.describeGroups([groupId]);
    members = (groups[0]?.members ?? []).map((m) => m.memberId);
  } finally {
    await admin.disconnect();
  }
  for (const memberId of members) await leaveGroup(brokers[0]!, groupId, memberId);
  return members.length;
}

async function leaveGroup(address: string, groupId: string, memberId: string): Promise<void> {
  const response = await kafkaRequest(address, 13, 0, Buffer.concat([kafkaString(groupId), kafkaString(memberId)])); // LeaveGroup v0
  const error = response.readInt16BE(0);
  // 25 UNKNOWN_MEMBER_ID: it left or expired meanwhile.
  if (error !== 0 && error !== 25) throw new Error(`LeaveGroup for ${memberId} failed with error code ${error}`);
}

export interface DeadLetterSeen {
  key: string | null;
  bytes: number;
  headers: Record<string, string>;
}

/** What kafkajs decodes of a record (internal fields: the transaction markers are control records). */
interface RawRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | Array<Buffer | string> | undefined>;
  isControlRecord?: boolean;
  batchContext?: { producerId: string; inTransaction: boolean };
}

/**
 * Reads the whole dead-letter topic as a read_committed consumer must see it: the letters of
 * committed transactions (and any written outside one), none of aborted or still open ones. Waits
 * for `expected` letters, then `settleMs` more so that a duplicate would show up too.
 *
 * The view is computed here from every record and transaction marker (a read_uncommitted fetch),
 * not taken from kafkajs' read_committed filter: kafkajs 2.2.4 expects the broker's list of aborted
 * transactions sorted by first offset, but the broker lists them in the order they were aborted, so
 * when two aborted transactions overlap in a partition kafkajs hands out records of one of them
 * (docs/exactly-once.md). Such overlaps happen here: a fenced or crashed worker's transaction is
 * aborted while other partitions' transactions are open on the same dead-letter partition.
 */
export async function readDeadLetters(brokers: string[], topic: string, expected: number, options: { timeoutMs?: number; settleMs?: number } = {}): Promise<DeadLetterSeen[]> {
  const consumer = client(brokers).consumer({
    groupId: `${topic}-reader-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
    readUncommitted: true,
    maxBytesPerPartition: 32 << 20,
  });
  const seen: DeadLetterSeen[] = [];
  /** Letters of transactions not ended yet, by partition and producer. */
  const open = new Map<string, DeadLetterSeen[]>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const records = (batch as unknown as { messagesWithinOffset: RawRecord[] }).messagesWithinOffset;
      for (const record of records) {
        const txn = `${batch.partition}/${record.batchContext?.producerId ?? ''}`;
        if (record.isControlRecord) {
          // Control record key: version (int16), type (int16): 0 abort, 1 commit.
          if (record.key?.readInt16BE(2) === 1) seen.push(...(open.get(txn) ?? []));
          open.delete(txn);
          continue;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(record.headers ?? {})) headers[k] = String(v);
        const letter = { key: record.key?.toString() ?? null, bytes: record.value?.length ?? 0, headers };
        if (record.batchContext?.inTransaction) open.set(txn, [...(open.get(txn) ?? []), letter]);
        else seen.push(letter);
      }
    },
  });
  try {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    while (seen.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, options.settleMs ?? 2_000));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** The dead letters hold exactly `expected` letters, one per (partition, offset, index) of `sourceTopic`. */
export function assertDeadLetteredExactlyOnce(letters: DeadLetterSeen[], sourceTopic: string, expected: number): void {
  const ids = letters.map((l) => `${l.headers['csbs-source-partition']}/${l.headers['csbs-source-offset']}/${l.headers['csbs-source-index']}`);
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
  assert.deepEqual(duplicates, [], 'no record is dead-lettered twice');
  assert.equal(letters.length, expected, 'dead letters');
  for (const letter of letters) {
    assert.equal(letter.headers['csbs-source-topic'], sourceTopic);
    assert.ok(letter.headers['csbs-reason'], 'a dead letter names its reason');
    assert.match(letter.headers['csbs-source-offset'] ?? '', /^\d+$/);
    assert.match(letter.headers['csbs-source-index'] ?? '', /^\d+$/);
  }
}

// ---------------------------------------------------------------------------------------------
// the store

export interface StoredCounts {
  duplicates: unknown[];
  events: number;
  /** sum(count) of each error rollup fed by a materialized view on `events` (error_counts_1m, ...). */
  errorCounts: Record<string, number>;
  requests: number;
  byCode: Record<string, number>;
}

async function rows<T>(store: ClickHouseClient, query: string): Promise<T[]> {
  return (await store.query({ query, format: 'JSONEachRow' })).json<T>();
}

export async function storedCounts(store: ClickHouseClient): Promise<StoredCounts> {
  const duplicates = await rows(
    store,
    'SELECT source_topic, source_partition, source_offset, source_index, count() AS n FROM events GROUP BY ALL HAVING count() > 1 LIMIT 20',
  );
  const [events] = await rows<{ n: string }>(store, 'SELECT count() AS n FROM events');
  const rollups = await rows<{ name: string }>(store, "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'error\\_counts\\_%' AND engine LIKE '%MergeTree' ORDER BY name");
  const errorCounts: Record<string, number> = {};
  const withUnits = new Set((await rows<{ table: string }>(store, "SELECT table FROM system.columns WHERE database = currentDatabase() AND name = 'unit'")).map((r) => r.table));
  for (const { name } of rollups) {
    // A table of several units (migration 0010) counts every event once per unit.
    if (withUnits.has(name)) {
      const units = await rows<{ unit: number; n: string }>(store, `SELECT unit, sum(count) AS n FROM ${name} GROUP BY unit`);
      if (units.length === 0) errorCounts[name] = 0;
      for (const { unit, n } of units) errorCounts[`${name} ${unit}`] = Number(n);
    } else {
      const [sum] = await rows<{ n: string }>(store, `SELECT sum(count) AS n FROM ${name}`);
      errorCounts[name] = Number(sum?.n ?? 0);
    }
  }
  const [requests] = await rows<{ n: string }>(store, 'SELECT sum(requests) AS n FROM request_counts_1m');
  const codes = await rows<{ code: string; n: string }>(store, 'SELECT code, count() AS n FROM events GROUP BY code');
  return {
    duplicates,
    events: Number(events?.n ?? 0),
    errorCounts,
    requests: Number(requests?.n ?? 0),
    byCode: Object.fromEntries(codes.map((c) => [c.code, Number(c.n)]).sort()),
  };
}

/** Every expected event stored once (no duplicates by source position), rollups not double counted. */
export function assertStoredExactlyOnce(counts: StoredCounts, expected: Expectation): void {
  assert.deepEqual(counts.duplicates, [], 'no event stored twice');
  assert.equal(counts.events, expected.events, 'events stored');
  assert.ok('error_counts_1m' in counts.errorCounts, `the rollups are there: ${JSON.stringify(counts.errorCounts)}`);
  for (const [table, sum] of Object.entries(counts.errorCounts)) assert.equal(sum, expected.events, `sum(count) of ${table}`);
  assert.equal(counts.requests, expected.requests, 'sum(requests) of request_counts_1m');
  assert.deepEqual(counts.byCode, Object.fromEntries(Object.entries(expected.byCode).sort()), 'events per code');
}

// ---------------------------------------------------------------------------------------------
// worker processes

const cliEntry = fileURLToPath(new URL('../../services/cli/src/cli.ts', import.meta.url));
const membersEntry = fileURLToPath(new URL('./ingest-members.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface WorkerChild {
  child: ChildProcess;
  /** Its output so far (pino JSON lines on stdout, anything else on stderr). */
  logs(): string;
  /** Resolves when the process has exited (with its code, or the signal that ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Why the process is gone, or undefined while it runs. */
  gone(): string | undefined;
}

const running = new Set<WorkerChild>();

/** Kills (SIGKILL) every worker this process started that still runs: for `after` hooks, so that a failed test leaves none behind. */
export async function killWorkers(): Promise<void> {
  await Promise.all([...running].map((worker) => stopWorker(worker, 'SIGKILL')));
}

/**
 * Starts `csbs-errors <command>` (default `ingest`); with `storeFaults` the fault hooks (store,
 * codec) are loaded; with `members` the child runs that many ingest workers in one group on one store
 * (support/ingest-members.ts) instead of the command.
 */
export function startWorker(env: Record<string, string>, options: { command?: string; storeFaults?: boolean; members?: number } = {}): WorkerChild {
  const imports = ['--import', 'tsx', ...(options.storeFaults ? ['--import', fileURLToPath(import.meta.url)] : [])];
  const entry = options.members === undefined ? [cliEntry, options.command ?? 'ingest'] : [membersEntry];
  const child = spawn(process.execPath, ['--conditions=source', ...imports, ...entry], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', PORT: '0', ...env, ...(options.members === undefined ? {} : { INGEST_MEMBERS: String(options.members) }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output += d.toString('utf8');
    if (output.length > 4_000_000) output = output.slice(-2_000_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let end: string | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      end = `exited with ${code ?? signal}`;
      running.delete(worker);
      resolve({ code, signal });
    }),
  );
  const worker: WorkerChild = { child, logs: () => output, exited, gone: () => end };
  running.add(worker);
  return worker;
}

/** Ends a worker: SIGTERM (graceful: it stores what is pending, then leaves the group) or SIGKILL. */
export async function stopWorker(worker: WorkerChild, signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (worker.gone() === undefined) worker.child.kill(signal);
  return worker.exited;
}

/** The base env of a worker child on `topic` and its group, storing into `storeUrl`. */
export function workerEnv(brokers: string[], topic: string, groupId: string, storeUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: groupId,
    CLICKHOUSE_URL: storeUrl,
    RETENTION_DAYS: '0',
    ...extra,
  };
}

/** The base URL of a worker child's HTTP server (/healthz, /readyz, /metrics), from its start-up log line. */
export function operationsUrl(logs: string): string | undefined {
  return /"metrics":"(http:\/\/[^"]+)\/metrics"/.exec(logs)?.[1];
}

/** Lines of the worker's pino log with this message. */
export function logLines(logs: string, msg: string): number {
  let n = 0;
  for (const line of logs.split('\n')) if (line.includes(`"msg":"${msg}`)) n += 1;
  return n;
}
