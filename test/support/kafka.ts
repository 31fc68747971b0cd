// Kafka for tests. See docs/kafka.md.
//
// kafkaForTests() picks, in this order:
//   1. KAFKA_BROKERS (comma-separated host:port list): an existing Kafka; stop() is a no-op.
//   2. a testcontainers KafkaContainer, when a Docker engine answers within KAFKA_DOCKER_PROBE_MS
//      (default 3000 ms); stop() stops the container.
//   3. the shared local broker of scripts/kafka-local.sh (127.0.0.1:${KAFKA_PORT:-9092}); it is left
//      running for the other test files, so stop() is a no-op (CI / you stop it with the script).
// KAFKA_TEST_SOURCE=env|container|local forces one of them (no fallback).
//
// startPrivateKafka() runs a broker of its own (own port, controller port and temp data dir) that a
// fault test may stop, kill and start again; dispose() stops it and deletes its data dir.
//
// kafkaCluster() is the three-broker cluster of scripts/kafka-cluster.sh (replication factor 3,
// min.insync.replicas 2), with the nodes' start/stop/kill and where a partition's leader, a group's
// coordinator and a transactional id's coordinator are.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import kafkajs from 'kafkajs';
import type { Admin, ITopicConfig, Kafka as KafkaClient, KafkaConfig } from 'kafkajs';
import { waitForValue } from './wait.js';

const { Kafka, logLevel } = kafkajs;

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const KAFKA_LOCAL_SCRIPT = join(REPO_ROOT, 'scripts', 'kafka-local.sh');
export const KAFKA_CLUSTER_SCRIPT = join(REPO_ROOT, 'scripts', 'kafka-cluster.sh');
/** Image for the testcontainers path (Confluent Platform 8.0 = Apache Kafka 4.0, KRaft). */
export const KAFKA_TEST_IMAGE = process.env.KAFKA_TEST_IMAGE ?? 'confluentinc/cp-kafka:8.0.0';
/** Generous: the first start may fetch the broker jars with Maven and format the storage. */
const SCRIPT_TIMEOUT_MS = 10 * 60_000;

export type KafkaSource = 'env' | 'container' | 'local';

export interface TestKafka {
  /** Bootstrap addresses, e.g. ['127.0.0.1:9092']. */
  brokers: string[];
  source: KafkaSource;
  /** Releases this process' use of the broker (no-op for shared/external brokers). */
  stop(): Promise<void>;
}

export interface PrivateKafka {
  brokers: string[];
  port: number;
  controllerPort: number;
  dataDir: string;
  /** (Re)starts the broker on the same data dir, keeping its data; resolves once it answers. */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM, SIGKILL after KAFKA_STOP_TIMEOUT). */
  stop(): Promise<void>;
  /** Hard crash: SIGKILL, no controlled shutdown. start() recovers the data dir. */
  kill(): Promise<void>;
  /** Stops the broker and deletes its data dir. */
  dispose(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// kafkajs clients

function kafkajsLogLevel(): number {
  switch ((process.env.KAFKAJS_LOG_LEVEL ?? '').toLowerCase()) {
    case 'error':
      return logLevel.ERROR;
    case 'warn':
      return logLevel.WARN;
    case 'info':
      return logLevel.INFO;
    case 'debug':
      return logLevel.DEBUG;
    default:
      return logLevel.NOTHING;
  }
}

/** A kafkajs client for tests: quiet (KAFKAJS_LOG_LEVEL=warn|error|info|debug to see it). */
export function testKafkaClient(brokers: string[], overrides: Partial<KafkaConfig> = {}): KafkaClient {
  return new Kafka({
    clientId: 'csbs-errors-test',
    brokers,
    logLevel: kafkajsLogLevel(),
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 100, retries: 8 },
    ...overrides,
  });
}

/** A topic name no other test (or earlier run against the same broker) uses. */
export function uniqueTopic(prefix = 'test'): string {
  const safe = prefix.replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 120);
  const rand = Math.random().toString(36).slice(2, 8);
  return `${safe}-${Date.now().toString(36)}-${process.pid}-${rand}`;
}

/** Runs fn with a connected admin client and disconnects it afterwards. */
export async function withAdmin<T>(brokers: string[], fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testKafkaClient(brokers).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates a topic with `partitions` partitions (replication factor 1 unless given) and waits for its leaders. */
export async function createTopic(
  brokers: string[],
  topic: string,
  partitions = 1,
  configEntries: ITopicConfig['configEntries'] = [],
  replicationFactor = 1,
): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor, configEntries }],
      // On a cluster kafkajs' own wait asks one broker and gives up when that one does not know the
      // topic yet (UNKNOWN_TOPIC_OR_PARTITION), and it can return before every partition's leader is
      // in the metadata the next client asks for: there, poll until all have one. On one broker its
      // wait is kept: sends right after a bare metadata poll were refused (not yet leader) and the
      // tests' plain producers' retries wrote records twice.
      waitForLeaders: brokers.length === 1,
    });
    await waitFor(async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = topics[0]?.partitions ?? [];
      return parts.length === partitions && parts.every((p) => p.leader >= 0);
    }, 30_000, `leaders for ${partitions} partition(s) of ${topic}`);
  });
}

/** Deletes topics, ignoring ones that do not exist. */
export async function deleteTopics(brokers: string[], topics: string[]): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 });
  });
}

/** Polls `cond` every `intervalMs` until it returns true; throws after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 100,
): Promise<void> {
  await waitForValue(what, timeoutMs, async () => ((await cond()) ? true : undefined), intervalMs);
}

// ---------------------------------------------------------------------------------------------
// the script

function runScript(command: 'start' | 'stop' | 'status', env: Record<string, string>): Promise<string> {
  return runBash(KAFKA_LOCAL_SCRIPT, [command], env);
}

/** Runs a script of scripts/; resolves with the last line of its stdout. */
function runBash(script: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'bash',
      [script, ...args],
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: SCRIPT_TIMEOUT_MS, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`scripts/${script.split('/').pop()} ${args.join(' ')} failed (${err.message.split('\n')[0]}):\n${stderr}`));
          return;
        }
        const lines = stdout.trim().split('\n');
        resolvePromise(lines[lines.length - 1] ?? '');
      },
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => (port > 0 ? resolvePromise(port) : reject(new Error('no free port'))));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Docker probe + container

function dockerMaybePresent(): boolean {
  return Boolean(
    process.env.DOCKER_HOST ||
      process.env.TESTCONTAINERS_HOST_OVERRIDE ||
      existsSync('/var/run/docker.sock') ||
      existsSync(join(homedir(), '.testcontainers.properties')) ||
      (process.env.XDG_RUNTIME_DIR && existsSync(join(process.env.XDG_RUNTIME_DIR, 'docker.sock'))),
  );
}

/** True when a container engine answers within `timeoutMs`; never waits longer than that. */
export async function dockerAvailable(timeoutMs = Number(process.env.KAFKA_DOCKER_PROBE_MS ?? 3000)): Promise<boolean> {
  if (!dockerMaybePresent()) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(false), timeoutMs);
    timer.unref();
  });
  const probe = (async () => {
    try {
      const { getContainerRuntimeClient } = await import('testcontainers');
      await getContainerRuntimeClient();
      return true;
    } catch {
      return false;
    }
  })();
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function containerKafka(): Promise<TestKafka> {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const container = await new KafkaContainer(KAFKA_TEST_IMAGE).withKraft().start();
  const brokers = [`${container.getHost()}:${container.getMappedPort(9093)}`];
  return {
    brokers,
    source: 'container',
    async stop() {
      await container.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// public entry points

let sharedLocal: Promise<string> | undefined;

async function localKafka(): Promise<TestKafka> {
  // One `start` per process; the script itself serialises concurrent starts from several processes.
  sharedLocal ??= runScript('start', {});
  let address: string;
  try {
    address = await sharedLocal;
  } catch (err) {
    sharedLocal = undefined;
    throw err;
  }
  return {
    brokers: [address],
    source: 'local',
    // Shared with the other test files: left running (scripts/kafka-local.sh stop ends it).
    async stop() {},
  };
}

export async function kafkaForTests(): Promise<TestKafka> {
  const forced = process.env.KAFKA_TEST_SOURCE as KafkaSource | undefined;
  const fromEnv = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);

  if (forced === 'env' || (!forced && fromEnv.length > 0)) {
    if (fromEnv.length === 0) throw new Error('KAFKA_TEST_SOURCE=env but KAFKA_BROKERS is empty');
    return { brokers: fromEnv, source: 'env', async stop() {} };
  }
  if (forced === 'container' || (!forced && (await dockerAvailable()))) {
    return containerKafka();
  }
  return localKafka();
}

/**
 * A broker only this caller uses, for fault tests (stop/kill/start it at will). `port` defaults to
 * a free loopback port; the controller port is always a free one. Data lives in a temp dir that
 * dispose() deletes.
 */
export async function startPrivateKafka(port?: number): Promise<PrivateKafka> {
  const brokerPort = port ?? (await freePort());
  let controllerPort = await freePort();
  while (controllerPort === brokerPort) controllerPort = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), `csbs-kafka-${brokerPort}-`));
  const env = {
    KAFKA_PORT: String(brokerPort),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_DATA_DIR: dataDir,
  };
  const handle: PrivateKafka = {
    brokers: [`127.0.0.1:${brokerPort}`],
    port: brokerPort,
    controllerPort,
    dataDir,
    async start() {
      await runScript('start', env);
    },
    async stop() {
      await runScript('stop', env);
    },
    async kill() {
      const pid = Number((await readFile(join(dataDir, 'kafka.pid'), 'utf8').catch(() => '')).trim());
      if (!Number.isInteger(pid) || pid <= 0) return;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return; // already gone
      }
      await waitFor(
        () => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        },
        10_000,
        `broker pid ${pid} to die`,
      );
      await rm(join(dataDir, 'kafka.pid'), { force: true });
    },
    async dispose() {
      try {
        await runScript('stop', env);
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
  try {
    await handle.start();
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return handle;
}

// ---------------------------------------------------------------------------------------------
// the three-broker cluster

export interface KafkaCluster {
  /** Bootstrap addresses of all nodes. */
  brokers: string[];
  /** Node ids (1, 2, 3). */
  nodes: number[];
  addressOf(node: number): string;
  /** Addresses of the nodes this handle has not stopped or killed. */
  liveBrokers(): string[];
  /** (Re)starts one node on its data; resolves once it answers. */
  startNode(node: number): Promise<void>;
  /** Graceful stop of one node (controlled shutdown). */
  stopNode(node: number): Promise<void>;
  /** SIGKILL of one node: no controlled shutdown. */
  killNode(node: number): Promise<void>;
  /** The node that leads a partition. */
  partitionLeader(topic: string, partition: number): Promise<number>;
  /** The node that coordinates a consumer group (FindCoordinator, key type 0). */
  groupCoordinator(groupId: string): Promise<number>;
  /** The node that coordinates a transactional id (FindCoordinator, key type 1). */
  transactionCoordinator(transactionalId: string): Promise<number>;
  /** Waits until every partition of every topic (internal ones included) has all its replicas in sync. */
  waitInSync(timeoutMs?: number): Promise<void>;
  /** Stops the cluster when this call started it (else it is left running for its other users). */
  stop(): Promise<void>;
}

/**
 * The cluster of scripts/kafka-cluster.sh: started (or found running) through the script. Nodes
 * that a test stopped or killed are started again by stop(), before the cluster is stopped or left.
 */
export async function kafkaCluster(): Promise<KafkaCluster> {
  const wasRunning = await runBash(KAFKA_CLUSTER_SCRIPT, ['status']).then(() => true, () => false);
  const brokers = (await runBash(KAFKA_CLUSTER_SCRIPT, ['start'])).split(',');
  const nodes = brokers.map((_, i) => i + 1);
  const down = new Set<number>();
  const node = (id: number, command: 'start' | 'stop' | 'kill') => runBash(KAFKA_CLUSTER_SCRIPT, ['node', String(id), command]);
  const live = () => brokers.filter((_, i) => !down.has(i + 1));
  const coordinator = async (key: string, keyType: 0 | 1) => {
    let last: unknown;
    for (const address of live()) {
      try {
        return await findCoordinator(address, key, keyType);
      } catch (error) {
        last = error;
      }
    }
    throw new Error(`no coordinator for ${key}: ${String(last)}`);
  };
  const cluster: KafkaCluster = {
    brokers,
    nodes,
    addressOf: (id) => brokers[id - 1]!,
    liveBrokers: live,
    async startNode(id) {
      await node(id, 'start');
      down.delete(id);
    },
    async stopNode(id) {
      down.add(id);
      await node(id, 'stop');
    },
    async killNode(id) {
      down.add(id);
      await node(id, 'kill');
    },
    async partitionLeader(topic, partition) {
      return withAdmin(live(), async (admin) => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        const leader = topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
        if (leader === undefined || leader < 0) throw new Error(`no leader for ${topic}/${partition}`);
        return leader;
      });
    },
    groupCoordinator: (groupId) => waitForValue(`coordinator of group ${groupId}`, 30_000, () => coordinator(groupId, 0).catch(() => undefined), 200),
    transactionCoordinator: (id) => waitForValue(`coordinator of transactional id ${id}`, 30_000, () => coordinator(id, 1).catch(() => undefined), 200),
    async waitInSync(timeoutMs = 60_000) {
      await waitFor(
        async () => {
          try {
            return await withAdmin(live(), async (admin) => {
              const names = await admin.listTopics();
              const { topics } = await admin.fetchTopicMetadata({ topics: names });
              return topics.every((t) => t.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length));
            });
          } catch {
            return false; // a node is still coming back
          }
        },
        timeoutMs,
        'all replicas in sync',
        500,
      );
    },
    async stop() {
      for (const id of [...down]) await cluster.startNode(id);
      if (!wasRunning) await runBash(KAFKA_CLUSTER_SCRIPT, ['stop']);
    },
  };
  return cluster;
}

// ---------------------------------------------------------------------------------------------
// raw Kafka requests (what kafkajs does not expose)

/** A Kafka protocol string: int16 length, then the UTF-8 bytes. */
export function kafkaString(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const length = Buffer.alloc(2);
  length.writeInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/**
 * Sends one request (header v1: api key, version, correlation id, client id) to `address` and
 * returns the response after its size and correlation id.
 */
export async function kafkaRequest(address: string, apiKey: number, version: number, body: Buffer): Promise<Buffer> {
  const header = Buffer.alloc(8);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(1, 4); // correlation id
  const request = Buffer.concat([header, kafkaString('csbs-errors-test'), body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(request.length);
  const [host = '127.0.0.1', port = '9092'] = address.split(':');
  const response = await new Promise<Buffer>((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), host, () => socket.write(Buffer.concat([size, request])));
    socket.setTimeout(10_000, () => socket.destroy(new Error(`request ${apiKey} to ${address} timed out`)));
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`${address} closed the connection`)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) {
        socket.end();
        resolvePromise(all);
      }
    });
  });
  return response.subarray(8);
}

/** FindCoordinator v1 (key type 0: group, 1: transactional id): the coordinator's node id. */
export async function findCoordinator(address: string, key: string, keyType: 0 | 1): Promise<number> {
  const response = await kafkaRequest(address, 10, 1, Buffer.concat([kafkaString(key), Buffer.from([keyType])]));
  // throttle_time_ms int32, error_code int16, error_message nullable string, node_id int32, ...
  const error = response.readInt16BE(4);
  if (error !== 0) throw new Error(`FindCoordinator for ${key} failed with error code ${error}`);
  const messageLength = response.readInt16BE(6);
  return response.readInt32BE(8 + Math.max(messageLength, 0));
}
