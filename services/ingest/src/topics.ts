/**
 * The source and dead-letter topics exist before the worker joins its group: a consumer that
 * subscribes to a missing topic fails at once. Creating them needs the right to; without it (a
 * managed cluster, say), the worker waits until someone else has created them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import type { Logger } from '@csbs-errors/observability';

export async function ensureTopics(admin: Admin, topics: string[], logger: Logger, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt += 1) {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    try {
      // -1: the broker's default partition count and replication factor.
      await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: -1, replicationFactor: -1 })), waitForLeaders: true });
      logger.info({ topics: missing }, 'created missing topics');
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`topics ${missing.join(', ')} do not exist and could not be created: ${String(error)}`);
      if (attempt === 0) logger.warn({ topics: missing, err: error }, 'topics missing and not creatable; waiting for them');
      await sleep(2_000);
    }
  }
}
