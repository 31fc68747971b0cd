/**
 * Entry of an extraction thread (see extract-pool.ts): extracts each chunk it is sent and answers
 * with its BatchPart. Extraction never throws on input; anything else that fails is answered as an
 * error, and the pool treats the run as failed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createExtractor } from '@csbs-errors/extract';
import { extractRun } from './extraction.js';
import type { ChunkTask, ThreadReply, ThreadSettings } from './extract-pool.js';

const port = parentPort;
if (port === null) throw new Error('extract-thread runs as a worker thread of the extraction pool');
const settings = workerData as ThreadSettings;
const extractor = createExtractor({ maxMessageBytes: settings.maxMessageBytes, servicePattern: new RegExp(settings.servicePattern.source, settings.servicePattern.flags) });

const reply = (message: ThreadReply) => port.postMessage(message);

port.on('message', (task: ChunkTask) => {
  try {
    const values = new Uint8Array(task.bytes);
    const { ends, offsets } = task;
    const part = extractRun(extractor, settings, {
      topic: task.topic,
      partition: task.partition,
      referenceMs: task.referenceMs,
      count: ends.length,
      offsetAt: (i) => String(offsets[i]),
      valueAt: (i) => values.subarray(i === 0 ? 0 : ends[i - 1], ends[i]),
    });
    reply({ id: task.id, part });
  } catch (error) {
    reply({ id: task.id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
});
reply({ ready: true });
