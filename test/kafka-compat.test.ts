// kafkajs 2.2.4 against the broker the tests use (see docs/kafka.md): every kafkajs call the
// service relies on, asserted on real values. Run alone with
//   node --conditions=source --import tsx --test test/kafka-compat.test.ts
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import kafkajs from 'kafkajs';
import type { Consumer, EachBatchPayload, IHeaders, Kafka as KafkaClient } from 'kafkajs';
import {
  createTopic,
  deleteTopics,
  kafkaForTests,
  startPrivateKafka,
  testKafkaClient,
  uniqueTopic,
  waitFor,
  withAdmin,
  type TestKafka,
} from './support/kafka.js';

const { CompressionTypes } = kafkajs;

let kafka: TestKafka;
let client: KafkaClient;
const created: string[] = [];
const groups: string[] = [];

before(async () => {
  kafka = await kafkaForTests();
  client = testKafkaClient(kafka.brokers);
});

after(async () => {
  if (kafka) {
    await deleteTopics(kafka.brokers, created).catch(() => {});
    if (groups.length > 0) {
      await withAdmin(kafka.brokers, (admin) => admin.deleteGroups(groups)).catch(() => {});
    }
    await kafka.stop();
  }
});

function topicFor(prefix: string): string {
  const t = uniqueTopic(prefix);
  created.push(t);
  return t;
}

function groupFor(prefix: string): string {
  const g = uniqueTopic(prefix);
  groups.push(g);
  return g;
}

function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : one.toString();
}

interface Received {
  partition: number;
  offset: string;
  key: string | undefined;
  value: string | undefined;
  headers: IHeaders | undefined;
}

/** Raw ApiVersions v0 request: apiKey -> [min, max] the broker accepts. */
async function brokerApiVersions(address: string): Promise<Map<number, [number, number]>> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const clientId = Buffer.from('compat-probe');
  const body = Buffer.alloc(10 + clientId.length);
  body.writeInt16BE(18, 0); // ApiVersions
  body.writeInt16BE(0, 2); // v0
  body.writeInt32BE(1, 4); // correlation id
  body.writeInt16BE(clientId.length, 8);
  clientId.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  const response = await new Promise<Buffer>((resolvePromise, reject) => {
    let buf = Buffer.alloc(0);
    const socket = connect(port, host, () => socket.write(Buffer.concat([size, body])));
    socket.setTimeout(10_000, () => socket.destroy(new Error('ApiVersions timed out')));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        socket.end();
        resolvePromise(buf);
      }
    });
  });
  assert.equal(response.readInt32BE(4), 1, 'correlation id');
  assert.equal(response.readInt16BE(8), 0, 'ApiVersions error code');
  const n = response.readInt32BE(10);
  const out = new Map<number, [number, number]>();
  for (let i = 0, o = 14; i < n; i++, o += 6) {
    out.set(response.readInt16BE(o), [response.readInt16BE(o + 2), response.readInt16BE(o + 4)]);
  }
  return out;
}

test('protocol: every request kafkajs negotiates is inside the broker\'s supported version range', async () => {
  // kafkajs picks min(its newest implemented version, broker max) and never checks the broker's
  // minimum, so a broker that dropped old versions (Kafka 4.0, KIP-896) fails only at call time.
  // This catches that for every API kafkajs implements, before a call does.
  const require = createRequire(import.meta.url);
  const apiKeys = require('kafkajs/src/protocol/requests/apiKeys.js') as Record<string, number>;
  const { requests } = require('kafkajs/src/protocol/requests/index.js') as {
    requests: Record<string, { versions: string[] }>;
  };
  const broker = await brokerApiVersions(kafka.brokers[0]!);
  const used = ['Produce', 'Fetch', 'ListOffsets', 'Metadata', 'OffsetCommit', 'OffsetFetch', 'GroupCoordinator',
    'JoinGroup', 'Heartbeat', 'LeaveGroup', 'SyncGroup', 'DescribeGroups', 'ListGroups', 'ApiVersions',
    'CreateTopics', 'DeleteTopics', 'DeleteGroups', 'DescribeConfigs', 'CreatePartitions', 'InitProducerId'];
  const problems: string[] = [];
  for (const [name, def] of Object.entries(requests)) {
    const apiKey = apiKeys[name];
    if (apiKey === undefined || def.versions.length === 0) continue; // not implemented by kafkajs
    const range = broker.get(apiKey);
    if (!range) {
      if (used.includes(name)) problems.push(`${name}: broker does not support the API at all`);
      continue;
    }
    const negotiated = Math.min(Math.max(...def.versions.map(Number)), range[1]);
    if (negotiated < range[0]) {
      problems.push(`${name}: kafkajs would send v${negotiated}, broker accepts v${range[0]}-v${range[1]}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('admin: createTopics with several partitions, listTopics, fetchTopicMetadata', async () => {
  const topic = topicFor('compat-admin');
  await withAdmin(kafka.brokers, async (admin) => {
    const createdNow = await admin.createTopics({
      topics: [{ topic, numPartitions: 4, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    assert.equal(createdNow, true);
    // Creating it again is a no-op that reports "not created".
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] }), false);

    assert.ok((await admin.listTopics()).includes(topic));
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    assert.equal(topics.length, 1);
    const parts = topics[0]!.partitions.map((p) => p.partitionId).sort((a, b) => a - b);
    assert.deepEqual(parts, [0, 1, 2, 3]);
    for (const p of topics[0]!.partitions) {
      assert.ok(p.leader >= 0, `partition ${p.partitionId} has a leader`);
      assert.equal(p.replicas.length, 1);
    }

    const offsets = await admin.fetchTopicOffsets(topic);
    assert.equal(offsets.length, 4);
    for (const o of offsets) {
      assert.equal(o.high, '0');
      assert.equal(o.low, '0');
    }
  });
});

test('produce: keys, headers, batches, gzip; consume them back intact', async () => {
  const topic = topicFor('compat-produce');
  const other = topicFor('compat-produce-other');
  await createTopic(kafka.brokers, topic, 3);
  await createTopic(kafka.brokers, other, 1);

  const producer = client.producer({ idempotent: false, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    // 1) one send with 30 keyed messages + headers, gzip-compressed
    const keyed = Array.from({ length: 30 }, (_, i) => ({
      key: `host-${i % 5}`,
      value: JSON.stringify({ i, msg: `error ${i}` }),
      headers: { 'x-seq': String(i), 'x-source': 'compat', 'x-multi': ['a', 'b'] },
    }));
    const res1 = await producer.send({ topic, compression: CompressionTypes.GZIP, acks: -1, messages: keyed });
    assert.ok(res1.length >= 1);
    for (const r of res1) assert.equal(r.errorCode, 0);

    // 2) sendBatch over two topics, uncompressed, 20 + 10 unkeyed messages
    const res2 = await producer.sendBatch({
      topicMessages: [
        { topic, messages: Array.from({ length: 20 }, (_, i) => ({ value: `plain-${i}` })) },
        { topic: other, messages: Array.from({ length: 10 }, (_, i) => ({ value: `other-${i}` })) },
      ],
    });
    assert.ok(res2.some((r) => r.topicName === other));
    for (const r of res2) assert.equal(r.errorCode, 0);
  } finally {
    await producer.disconnect();
  }

  await withAdmin(kafka.brokers, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    assert.equal(offsets.length, 3);
    assert.equal(
      offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0),
      50,
    );
    const otherOffsets = await admin.fetchTopicOffsets(other);
    assert.deepEqual(
      otherOffsets.map((o) => ({ partition: o.partition, high: o.high, low: o.low })),
      [{ partition: 0, high: '10', low: '0' }],
    );
  });

  // Read everything back (eachMessage, throwaway group).
  const received: Received[] = [];
  // maxWaitTimeInMs: disconnect() waits for the fetch in flight (default long poll 5 s).
  const consumer = client.consumer({ groupId: groupFor('compat-produce-reader'), heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push({
          partition,
          offset: message.offset,
          key: message.key?.toString(),
          value: message.value?.toString(),
          headers: message.headers,
        });
      },
    });
    await waitFor(() => received.length >= 50, 60_000, '50 messages');
  } finally {
    await consumer.disconnect();
  }
  assert.equal(received.length, 50);

  const keyedBack = received.filter((m) => m.key !== undefined);
  assert.equal(keyedBack.length, 30);
  // Same key -> same partition (default partitioner hashes the key).
  const partitionOfKey = new Map<string, number>();
  for (const m of keyedBack) {
    const seen = partitionOfKey.get(m.key!);
    if (seen === undefined) partitionOfKey.set(m.key!, m.partition);
    else assert.equal(m.partition, seen, `key ${m.key} stayed on one partition`);
    const body = JSON.parse(m.value!) as { i: number; msg: string };
    assert.equal(headerString(m.headers, 'x-seq'), String(body.i));
    assert.equal(headerString(m.headers, 'x-source'), 'compat');
    assert.equal(m.key, `host-${body.i % 5}`);
    const multi = m.headers?.['x-multi'];
    assert.ok(Array.isArray(multi), 'repeated header comes back as an array');
    assert.deepEqual(multi.map((b) => b.toString()), ['a', 'b']);
  }
  assert.equal(partitionOfKey.size, 5);
  const seqs = keyedBack.map((m) => Number(headerString(m.headers, 'x-seq'))).sort((a, b) => a - b);
  assert.deepEqual(seqs, Array.from({ length: 30 }, (_, i) => i));

  const plain = received.filter((m) => m.key === undefined).map((m) => m.value!).sort();
  assert.deepEqual(plain, Array.from({ length: 20 }, (_, i) => `plain-${i}`).sort());
});

test('consumer group: eachBatch, manual commitOffsets with metadata, rebalance to a second member', async () => {
  const topic = topicFor('compat-group');
  const groupId = groupFor('compat-group');
  const partitions = 4;
  await createTopic(kafka.brokers, topic, partitions);

  const producer = client.producer();
  await producer.connect();
  const produce = async (from: number, count: number) => {
    await producer.send({
      topic,
      messages: Array.from({ length: count }, (_, j) => ({ key: `k${from + j}`, value: `v${from + j}` })),
    });
  };

  // member -> values consumed; member -> latest assignment seen in GROUP_JOIN
  const consumed = new Map<string, string[]>();
  const assignment = new Map<string, number[]>();
  const batchesWithSize: number[] = [];

  const startMember = async (name: string): Promise<Consumer> => {
    consumed.set(name, []);
    const consumer = client.consumer({
      groupId,
      heartbeatInterval: 300,
      sessionTimeout: 10_000,
      rebalanceTimeout: 20_000,
      maxWaitTimeInMs: 200,
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      assignment.set(name, [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b));
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
        batchesWithSize.push(batch.messages.length);
        for (const message of batch.messages) {
          if (!isRunning() || isStale()) break;
          consumed.get(name)!.push(message.value!.toString());
          resolveOffset(message.offset);
        }
        const last = batch.messages[batch.messages.length - 1];
        if (last && isRunning() && !isStale()) {
          await consumer.commitOffsets([
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: (BigInt(last.offset) + 1n).toString(),
              metadata: `member=${name};partition=${batch.partition};last=${last.offset}`,
            },
          ]);
        }
        await heartbeat();
      },
    });
    return consumer;
  };

  const total = () => [...consumed.values()].reduce((n, v) => n + v.length, 0);
  const members: Consumer[] = [];
  try {
    await produce(0, 40);
    members.push(await startMember('a'));
    await waitFor(() => total() >= 40, 60_000, 'member a to consume 40 messages');
    assert.deepEqual(assignment.get('a'), [0, 1, 2, 3], 'sole member owns all partitions');
    assert.ok(batchesWithSize.some((n) => n > 1), 'eachBatch delivered multi-message batches');

    // Committed offsets (with metadata) are visible through the admin API.
    const committedAfterA = await withAdmin(kafka.brokers, async (admin) => {
      const high = await admin.fetchTopicOffsets(topic);
      await waitFor(
        async () => {
          const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
          return high.every(
            (h) => t!.partitions.find((p) => p.partition === h.partition)?.offset === h.high || h.high === '0',
          );
        },
        30_000,
        'committed offsets to reach the high watermarks',
      );
      const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return { high, partitions: t!.partitions };
    });
    let sumCommitted = 0;
    for (const h of committedAfterA.high) {
      const p = committedAfterA.partitions.find((x) => x.partition === h.partition)!;
      if (h.high === '0') {
        assert.equal(p.offset, '-1', `untouched partition ${h.partition} has no commit`);
        continue;
      }
      assert.equal(p.offset, h.high);
      sumCommitted += Number(p.offset);
      assert.equal(p.metadata, `member=a;partition=${h.partition};last=${Number(h.high) - 1}`);
    }
    assert.equal(sumCommitted, 40);

    // A second member joins: the group rebalances and the partitions are split between the two.
    members.push(await startMember('b'));
    await waitFor(
      () => {
        const a = assignment.get('a') ?? [];
        const b = assignment.get('b') ?? [];
        return a.length > 0 && b.length > 0 && a.length + b.length === partitions;
      },
      60_000,
      'rebalance to split partitions between a and b',
    );
    const a = assignment.get('a')!;
    const b = assignment.get('b')!;
    assert.deepEqual([...a, ...b].sort((x, y) => x - y), [0, 1, 2, 3]);
    assert.equal(a.filter((p) => b.includes(p)).length, 0, 'assignments are disjoint');

    await withAdmin(kafka.brokers, async (admin) => {
      const desc = await admin.describeGroups([groupId]);
      assert.equal(desc.groups[0]!.state, 'Stable');
      assert.equal(desc.groups[0]!.members.length, 2);
    });

    // New data reaches both members; nothing already committed is consumed again.
    await produce(40, 60);
    await waitFor(() => total() >= 100, 60_000, '100 messages in total');
    await new Promise((r) => setTimeout(r, 500)); // a redelivery would show up here
    const all = [...consumed.values()].flat();
    assert.equal(all.length, 100, 'no message consumed twice');
    assert.equal(new Set(all).size, 100);
    assert.ok(consumed.get('b')!.length > 0, 'member b got messages after the rebalance');

    const final = await withAdmin(kafka.brokers, async (admin) => {
      await waitFor(
        async () => {
          const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
          return t!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0) === 100;
        },
        30_000,
        'all 100 offsets committed',
      );
      const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return t!.partitions;
    });
    for (const p of final) {
      if (p.offset === '-1') continue;
      const owner = a.includes(p.partition) ? 'a' : 'b';
      // The last commit on a partition is from its owner after the rebalance, unless the partition
      // got no new message (then member a's earlier commit stays).
      assert.match(p.metadata ?? '', new RegExp(`^member=(${owner}|a);partition=${p.partition};last=\\d+$`));
    }
  } finally {
    for (const m of members.reverse()) await m.disconnect();
    await producer.disconnect();
  }
});

test('admin: fetchTopicOffsets (latest and by timestamp), deleteTopics', async () => {
  const topic = topicFor('compat-delete');
  await createTopic(kafka.brokers, topic, 2);
  const producer = client.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'x', value: '1' }, { key: 'y', value: '2' }, { key: 'z', value: '3' }] });
  await producer.disconnect();

  await withAdmin(kafka.brokers, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    assert.equal(offsets.reduce((s, o) => s + Number(o.high), 0), 3);
    const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() + 60_000);
    assert.equal(byTime.length, 2);
    for (const o of byTime) {
      assert.equal(o.offset, offsets.find((x) => x.partition === o.partition)!.high);
    }
    const past = await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - 3_600_000);
    for (const o of past) assert.equal(o.offset, '0', 'an hour ago maps to the first offset');

    await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
    await waitFor(async () => !(await admin.listTopics()).includes(topic), 30_000, `${topic} to disappear`);
  });
  created.splice(created.indexOf(topic), 1);
});

test('broker defaults: auto-created topics get 1 partition', async (t) => {
  if (kafka.source !== 'local') {
    t.skip(`broker defaults are only ours on the local broker (source: ${kafka.source})`);
    return;
  }
  const topic = topicFor('compat-auto');
  const producer = client.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    await waitFor(
      async () => {
        await producer.send({ topic, messages: [{ value: 'auto' }] });
        return true;
      },
      30_000,
      'send to an auto-created topic',
      250,
    );
  } finally {
    await producer.disconnect();
  }
  await withAdmin(kafka.brokers, async (admin) => {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    assert.equal(topics[0]!.partitions.length, 1);
    const [o] = await admin.fetchTopicOffsets(topic);
    assert.equal(o!.high, '1');
  });
});

test('private broker: data survives stop/start and a SIGKILL crash', async () => {
  const broker = await startPrivateKafka();
  try {
    assert.notEqual(broker.brokers[0], kafka.brokers[0]);
    const c = testKafkaClient(broker.brokers, { retry: { initialRetryTime: 200, retries: 10 } });
    const topic = uniqueTopic('compat-outage');
    await createTopic(broker.brokers, topic, 2);
    const send = async (values: string[]) => {
      const p = c.producer();
      await p.connect();
      await p.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
      await p.disconnect();
    };
    const highs = async () =>
      withAdmin(broker.brokers, async (admin) =>
        (await admin.fetchTopicOffsets(topic)).reduce((s, o) => s + Number(o.high), 0),
      );

    await send(['a', 'b', 'c']);
    assert.equal(await highs(), 3);

    await broker.stop();
    const probe = testKafkaClient(broker.brokers, { connectionTimeout: 1_000, retry: { retries: 0 } }).admin();
    await assert.rejects(probe.connect(), 'broker is down after stop()');
    await broker.start();
    assert.equal(await highs(), 3, 'data kept across a graceful restart');

    await send(['d']);
    await broker.kill();
    await broker.start();
    assert.equal(await highs(), 4, 'acknowledged data kept across a crash');
  } finally {
    await broker.dispose();
  }
});
