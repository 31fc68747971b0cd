/**
 * A pool of worker threads that extract records (INGEST_EXTRACT_THREADS), so that the main thread
 * only reads from Kafka, stores and commits. A run of a partition's messages goes to the threads in
 * a few chunks, each as one transferred buffer of the values with their end positions and offsets
 * (not one message per postMessage); a thread answers with the chunk's BatchPart: request counts
 * aggregated per minute, event rows, dead letters. The parts come back in offset order.
 *
 * A thread that dies takes no record with it: its chunks are rebuilt from the messages and given to
 * a fresh thread; after a few failed attempts the run is rejected, and the worker reads the
 * partitions again from their last commits.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger } from '@csbs-errors/observability';
import type { BatchPart } from './batch.js';
import type { RunExtractor, RunSettings } from './extraction.js';
import type { SourceMessage } from './source.js';

export interface ExtractPoolOptions extends RunSettings {
  threads: number;
  maxMessageBytes: number;
  servicePattern: RegExp;
  /** Heap limits of each thread (default: Node's); a thread above them dies and is replaced. */
  resourceLimits?: ResourceLimits;
  logger: Logger;
}

/** What a thread is started with (workerData). */
export interface ThreadSettings extends RunSettings {
  maxMessageBytes: number;
  servicePattern: { source: string; flags: string };
}

/** One chunk sent to a thread: values back to back in `bytes`, message i ending at `ends[i]`. */
export interface ChunkTask {
  id: number;
  topic: string;
  partition: number;
  referenceMs: number | null;
  bytes: ArrayBuffer;
  ends: Uint32Array;
  offsets: BigInt64Array;
}

export type ThreadReply = { ready: true } | { id: number; part: BatchPart } | { id: number; error: string };

/** Below this many messages a run is not split further across threads. */
const MIN_CHUNK_MESSAGES = 2_000;
/** Attempts of a chunk whose thread died before answering. */
const MAX_ATTEMPTS = 3;

interface Chunk {
  id: number;
  topic: string;
  partition: number;
  referenceMs: number | null;
  messages: SourceMessage[];
  attempts: number;
  resolve: (part: BatchPart) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  chunks: Map<number, Chunk>;
}

/**
 * Starts a thread on extract-thread: the built .js next to this file, or, when this runs from the
 * TypeScript sources (under tsx), the .ts through a bootstrap that registers tsx in the thread first
 * (a thread does not inherit the parent's module hooks).
 */
function startThread(workerData: ThreadSettings, resourceLimits: ResourceLimits | undefined): Worker {
  const here = import.meta.url;
  const options = { workerData, name: 'csbs-extract', ...(resourceLimits === undefined ? {} : { resourceLimits }) };
  if (!here.endsWith('.ts')) return new Worker(new URL('./extract-thread.js', here), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./extract-thread.ts', here).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

function pack(chunk: Chunk): { task: ChunkTask; transfer: ArrayBuffer[] } {
  const { messages } = chunk;
  let size = 0;
  for (const message of messages) size += message.value?.length ?? 0;
  const bytes = new ArrayBuffer(size);
  const view = new Uint8Array(bytes);
  const ends = new Uint32Array(messages.length);
  const offsets = new BigInt64Array(messages.length);
  let at = 0;
  for (let i = 0; i < messages.length; i += 1) {
    const message = messages[i]!;
    if (message.value) {
      view.set(message.value, at);
      at += message.value.length;
    }
    ends[i] = at;
    offsets[i] = BigInt(message.offset);
  }
  return { task: { id: chunk.id, topic: chunk.topic, partition: chunk.partition, referenceMs: chunk.referenceMs, bytes, ends, offsets }, transfer: [bytes, ends.buffer as ArrayBuffer, offsets.buffer as ArrayBuffer] };
}

/** Structured cloning turns a Buffer into a plain Uint8Array; the Kafka client wants Buffers. */
function revive(part: BatchPart): BatchPart {
  for (const letter of part.deadLetters) {
    if (typeof letter.value !== 'string' && !Buffer.isBuffer(letter.value)) {
      const bytes: Uint8Array = letter.value;
      letter.value = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
  }
  return part;
}

export class ExtractPool implements RunExtractor {
  private readonly slots: Slot[] = [];
  /** Threads started and not yet ready. */
  private readonly starting = new Set<Promise<Slot>>();
  private nextId = 0;
  private closed = false;

  /** Starts the threads; `ready()` tells when they can work. */
  constructor(private readonly options: ExtractPoolOptions) {
    this.topUp();
  }

  private topUp(): void {
    while (!this.closed && this.slots.length + this.starting.size < this.options.threads) {
      const starting = this.spawn();
      this.starting.add(starting);
      starting.then(
        () => this.starting.delete(starting),
        () => this.starting.delete(starting),
      );
    }
  }

  /**
   * Resolves once every thread has loaded the extractor; rejects when one could not start (a broken
   * build, say), and starts it again on the next call.
   */
  async ready(): Promise<void> {
    this.topUp();
    await Promise.all(this.starting);
  }

  get threads(): number {
    return this.options.threads;
  }

  private spawn(): Promise<Slot> {
    const settings: ThreadSettings = {
      maxMessageBytes: this.options.maxMessageBytes,
      servicePattern: { source: this.options.servicePattern.source, flags: this.options.servicePattern.flags },
      timeWindow: this.options.timeWindow,
      maxStoredMessageBytes: this.options.maxStoredMessageBytes,
    };
    const worker = startThread(settings, this.options.resourceLimits);
    const slot: Slot = { worker, chunks: new Map() };
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (reply: ThreadReply) => {
        if ('ready' in reply) {
          ready = true;
          this.slots.push(slot);
          resolve(slot);
          return;
        }
        const chunk = slot.chunks.get(reply.id);
        if (!chunk) return;
        slot.chunks.delete(reply.id);
        if ('error' in reply) chunk.reject(new Error(`extraction thread: ${reply.error}`));
        else chunk.resolve(revive(reply.part));
      });
      worker.on('error', (error) => {
        if (!ready) reject(error);
        else this.options.logger.error({ err: error }, 'extraction thread failed');
      });
      worker.on('exit', (code) => {
        if (ready) this.retire(slot);
        else reject(new Error(`extraction thread exited with code ${code} before it was ready`));
      });
    });
  }

  /** A thread is gone: its unanswered chunks go to the other threads (a fresh one replaces it). */
  private retire(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    const orphans = [...slot.chunks.values()];
    slot.chunks.clear();
    if (this.closed) {
      for (const chunk of orphans) chunk.reject(new Error('extraction pool closed'));
      return;
    }
    this.options.logger.warn({ chunks: orphans.length }, 'extraction thread exited; starting another');
    this.ready().then(
      () => orphans.forEach((chunk) => this.dispatch(chunk)),
      (error: unknown) => orphans.forEach((chunk) => chunk.reject(error instanceof Error ? error : new Error(String(error)))),
    );
  }

  private dispatch(chunk: Chunk): void {
    chunk.attempts += 1;
    if (chunk.attempts > MAX_ATTEMPTS) {
      chunk.reject(new Error(`extraction of ${chunk.topic}/${chunk.partition} from offset ${chunk.messages[0]?.offset} failed ${MAX_ATTEMPTS} times`));
      return;
    }
    if (this.closed) {
      chunk.reject(new Error('extraction pool closed'));
      return;
    }
    const slot = this.slots.reduce<Slot | undefined>((best, s) => (best === undefined || s.chunks.size < best.chunks.size ? s : best), undefined);
    if (slot === undefined) {
      // No thread is ready (all are starting): try again once they are.
      chunk.attempts -= 1;
      this.ready().then(
        () => this.dispatch(chunk),
        (error: unknown) => chunk.reject(error instanceof Error ? error : new Error(String(error))),
      );
      return;
    }
    const { task, transfer } = pack(chunk);
    slot.chunks.set(chunk.id, chunk);
    slot.worker.postMessage(task, transfer);
  }

  extract(topic: string, partition: number, messages: SourceMessage[], referenceMs: number | null): Promise<BatchPart[]> {
    const count = Math.max(1, Math.min(this.options.threads, Math.floor(messages.length / MIN_CHUNK_MESSAGES)));
    const size = Math.ceil(messages.length / count);
    const parts: Array<Promise<BatchPart>> = [];
    for (let start = 0; start < messages.length; start += size) {
      parts.push(
        new Promise<BatchPart>((resolve, reject) =>
          this.dispatch({ id: this.nextId++, topic, partition, referenceMs, messages: messages.slice(start, start + size), attempts: 0, resolve, reject }),
        ),
      );
    }
    return Promise.all(parts);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.starting);
    await Promise.all([...this.slots].map((slot) => slot.worker.terminate()));
  }
}
