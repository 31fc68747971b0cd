/**
 * Exactly once on a three-broker cluster (scripts/kafka-cluster.sh: replication factor 3,
 * min.insync.replicas 2 for the source, dead-letter and internal topics): while CLUSTER_RECORDS
 * (default 200 000) records flow through two ingest workers (one child process, two members of the
 * group: see support/ingest-members.ts), a broker fails:
 *
 * - SIGKILL of the leader of a source partition, of the group's coordinator, of the coordinator of
 *   most of the workers' transactional ids (each killed broker is started again once the cluster
 *   has moved on without it);
 * - a rolling restart of all three brokers, one at a time, each back in sync before the next;
 * - one broker down for the whole run (the other two keep the quorum and the ISR of 2).
 *
 * Every fault runs on its own topic, group and store, one after the other on one cluster, and ends
 * with the direct checks: no source position stored twice, every rollup equal to the events, every
 * dead letter once through a read_committed view. Each prints one line with the records lost and
 * counted twice and the longest stall of the group's committed offsets.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { partitionTransactionalId } from '@csbs-errors/ingest';
import { createTopic, kafkaCluster, uniqueTopic, waitFor, withAdmin, type KafkaCluster } from './support/kafka.js';
import { storeForTests, openTestStore } from './support/store.js';
import {
  assertDeadLetteredExactlyOnce,
  assertStoredExactlyOnce,
  killWorkers,
  produce,
  readDeadLetters,
  sampleCorpus,
  startWorker,
  stopWorker,
  storedCounts,
  topicExpectation,
  watchGroup,
  workerEnv,
  isDone,
  type WorkerChild,
} from './support/faults.js';

const RECORDS = Number(process.env.CLUSTER_RECORDS ?? 200_000);
const PARTITIONS = 6;
/** Pace of the producer: the faults land while records still arrive. */
const RATE = Number(process.env.CLUSTER_RATE ?? 5_000);

let cluster: KafkaCluster;

before(async () => {
  cluster = await kafkaCluster();
  // FindCoordinator creates the internal topics (offsets, transaction state) with replication 3:
  // now, while all three brokers are up (the last test runs with one down).
  await cluster.groupCoordinator('csbs-errors-warm-up');
  await cluster.transactionCoordinator('csbs-errors-warm-up');
  await cluster.waitInSync(120_000);
});

after(async () => {
  await killWorkers();
  await cluster?.stop();
});

interface Run {
  topic: string;
  group: string;
  worker: WorkerChild;
  /** Resolves once the group has committed every record (progress sampled every 100 ms). */
  done: Promise<void>;
  /** Committed offsets reached at least `fraction` of the records. */
  reached(fraction: number): Promise<void>;
  /** Longest time the committed offsets did not move, while records were waiting, in ms. */
  longestStallMs(): number;
}

/**
 * Topics with replication factor 3 (the dead-letter topic too: created before a broker may be down),
 * a fresh store, two workers, the records produced at RATE, and a watch on the committed offsets.
 */
async function startRun(name: string, setup: () => Promise<void> = async () => undefined): Promise<Run & { finish(): Promise<void> }> {
  const topic = uniqueTopic(`cluster-${name}`);
  const group = `${topic}-group`;
  await createTopic(cluster.brokers, topic, PARTITIONS, [], 3);
  await createTopic(cluster.brokers, `${topic}.dlq`, 2, [], 3);
  await setup();
  // The workers are given all three brokers, as a deployment would be; the test's own clients
  // (producer, progress, read-backs) only the live ones, so that they measure the workers.
  const brokers = cluster.liveBrokers();
  const store = await storeForTests();
  const { values } = sampleCorpus(Math.ceil(RECORDS / 400));
  const worker = startWorker(workerEnv(cluster.brokers, topic, group, store.url, { INGEST_BATCH_MAX_ROWS: '5000', INGEST_BATCH_MAX_MS: '1000' }), { members: 2 });
  // The producer rides the faults out by resending (which may write part of a chunk twice): the
  // expectation is what the topic holds, read back at the end.
  const producer = produce(brokers, topic, values, { chunk: 1_000, ratePerSecond: RATE, resend: true });
  const watch = await watchGroup(brokers, group, topic);

  let committed = 0;
  /** When the committed offsets last moved (from the workers' first commit on: start-up is no stall). */
  let movedAt: number | undefined;
  let stall = 0;
  let sentAll = false;
  let end = 0;
  void producer.done.then(() => (sentAll = true), () => undefined);
  const waiters: Array<{ at: number; resolve: () => void }> = [];
  const done = (async () => {
    const deadline = Date.now() + 600_000;
    for (;;) {
      assert.equal(worker.gone(), undefined, `the workers died:\n${worker.logs().slice(-20_000)}`);
      assert.ok(Date.now() < deadline, `${name}: not done after 10 minutes (committed ${committed})`);
      const now = await watch.progress().catch(() => undefined); // a broker may be down: ask again
      const at = Date.now();
      if (now !== undefined) {
        end = now.end;
        if (now.committed > committed) {
          committed = now.committed;
          movedAt = at;
          for (const w of waiters.filter((w) => committed >= w.at)) w.resolve();
        }
        // Caught up with the producer: nothing is waiting, so no stall runs.
        if (movedAt !== undefined && committed >= end) movedAt = at;
        // Done: the producer has finished and the group committed all the topic holds (which may
        // be more than was sent, or less: see topicExpectation and the figures' `inTopic`).
        if (sentAll && isDone(now)) return;
      }
      // Waiting records: committed behind what was produced (a stall of an idle group is no stall).
      if (movedAt !== undefined && committed < end) stall = Math.max(stall, at - movedAt);
      await sleep(100);
    }
  })();
  done.catch(() => undefined);

  return {
    topic,
    group,
    worker,
    done,
    reached: (fraction) =>
      new Promise<void>((resolve, reject) => {
        if (committed >= fraction * values.length) return resolve();
        waiters.push({ at: fraction * values.length, resolve });
        done.then(resolve, reject);
      }),
    longestStallMs: () => stall,
    async finish() {
      try {
        assert.equal(await producer.done, values.length, 'all records produced');
        await done;
      } finally {
        producer.stop();
        await watch.close();
      }
      const exit = await stopWorker(worker);
      const expected = await topicExpectation(brokers, topic);
      assert.equal(exit.code, 0, `the workers stop cleanly:\n${worker.logs().slice(-20_000)}`);

      const client = await openTestStore(store);
      let stored;
      let positions;
      try {
        stored = await storedCounts(client);
        const [row] = await (
          await client.query({ query: 'SELECT count() AS n, uniqExact(source_topic, source_partition, source_offset, source_index) AS u FROM events', format: 'JSONEachRow' })
        ).json<{ n: string; u: string }>();
        positions = { rows: Number(row?.n ?? 0), distinct: Number(row?.u ?? 0) };
      } finally {
        await client.close();
        await store.dispose();
      }
      const letters = await readDeadLetters(brokers, `${topic}.dlq`, expected.dead);
      const letterIds = new Set(letters.map((l) => `${l.headers['csbs-source-partition']}/${l.headers['csbs-source-offset']}/${l.headers['csbs-source-index']}`));
      const figures = {
        fault: name,
        sent: values.length,
        inTopic: expected.messages,
        resentChunks: producer.resends(),
        events: expected.events,
        lost: expected.events - positions.distinct + Math.max(0, expected.dead - letterIds.size),
        twice: positions.rows - positions.distinct + (letters.length - letterIds.size),
        longestStallMs: stall,
        deadLetters: letters.length,
      };
      console.log(`cluster fault: ${JSON.stringify(figures)}`);
      assertStoredExactlyOnce(stored, expected);
      assertDeadLetteredExactlyOnce(letters, topic, expected.dead);
    },
  };
}

/** Kills `node`, waits until the group commits without it, starts it again and waits for its replicas. */
async function killAndRecover(run: Run, node: number): Promise<void> {
  await cluster.killNode(node);
  try {
    // The workers carry on with two brokers: the committed offsets move past a few more batches.
    await run.reached(0.7);
  } finally {
    await cluster.startNode(node);
  }
  await cluster.waitInSync(120_000);
}

const TIMEOUT = 600_000;

test(`SIGKILL of a source partition's leader, ${RECORDS} records through two workers`, { timeout: TIMEOUT }, async () => {
  const run = await startRun('leader');
  await run.reached(0.3);
  const leader = await cluster.partitionLeader(run.topic, 0);
  console.log(`killing node ${leader}, leader of ${run.topic}/0`);
  await killAndRecover(run, leader);
  await run.finish();
});

test(`SIGKILL of the group coordinator, ${RECORDS} records through two workers`, { timeout: TIMEOUT }, async () => {
  const run = await startRun('group-coordinator');
  await run.reached(0.3);
  const coordinator = await cluster.groupCoordinator(run.group);
  console.log(`killing node ${coordinator}, coordinator of group ${run.group}`);
  await killAndRecover(run, coordinator);
  await run.finish();
});

test(`SIGKILL of the transaction coordinator, ${RECORDS} records through two workers`, { timeout: TIMEOUT }, async () => {
  const run = await startRun('transaction-coordinator');
  await run.reached(0.3);
  // One transactional id per source partition: kill the node that coordinates most of them.
  const byNode = new Map<number, string[]>();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const id = partitionTransactionalId(run.group, run.topic, partition);
    const node = await cluster.transactionCoordinator(id);
    byNode.set(node, [...(byNode.get(node) ?? []), id]);
  }
  const [coordinator, ids] = [...byNode.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
  console.log(`killing node ${coordinator}, transaction coordinator of ${ids.length} of ${PARTITIONS} partitions' transactional ids`);
  await killAndRecover(run, coordinator);
  await run.finish();
});

test(`rolling restart of all three brokers, ${RECORDS} records through two workers`, { timeout: TIMEOUT }, async () => {
  const run = await startRun('rolling-restart');
  await run.reached(0.1);
  for (const node of cluster.nodes) {
    await cluster.stopNode(node);
    await cluster.startNode(node);
    await cluster.waitInSync(120_000);
    console.log(`node ${node} restarted and in sync`);
  }
  await run.finish();
});

test(`one broker down for the whole run, ${RECORDS} records through two workers`, { timeout: TIMEOUT }, async () => {
  const down = cluster.nodes[cluster.nodes.length - 1]!;
  const run = await startRun('one-down', async () => {
    await cluster.killNode(down);
    // Down before the run begins: the controller has fenced it and moved its leaderships away.
    await waitFor(
      () =>
        withAdmin(cluster.liveBrokers(), async (admin) => {
          const { brokers } = await admin.describeCluster();
          const { topics } = await admin.fetchTopicMetadata({ topics: await admin.listTopics() });
          return brokers.every((b) => b.nodeId !== down) && topics.every((t) => t.partitions.every((p) => p.leader !== down && p.leader >= 0));
        }).catch(() => false),
      60_000,
      `node ${down} out of the cluster's metadata`,
      500,
    );
  });
  await run.finish();
  await cluster.startNode(down);
  await cluster.waitInSync(120_000);
});
