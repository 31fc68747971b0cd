/**
 * `csbs-errors extract [FILE...]`: gateway records from files (plain or gzip, `-` = stdin) → one enriched
 * error event per line of NDJSON on stdout, each led by `line` (1-based line number in its file), and a
 * summary by outcome and reason on stderr. Lines are handed to the extractor as bytes: it decides what
 * is UTF-8 and dead-letters what is not.
 */
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  createExtractor,
  DEFAULT_MAX_MESSAGE_BYTES,
  extractorOptionsSchema,
  type Extractor,
  type ExtractorConfig,
  type RecordOutcome,
} from '@csbs-errors/extract';
import { LineSplitter, inputChunks } from '../lines.js';

const USAGE = `usage: csbs-errors extract [options] [FILE...]

Reads gateway log records (NDJSON, or a JSON array per line; plain or gzip; FILE '-' or none = stdin)
and prints one enriched error event per line as NDJSON, each with "line" (1-based line in its file).
A summary goes to stderr: lines, events, requests (all backup-service records, errors included),
skipped and dead records by reason.

options:
  --format F               auto (default), apisix, kong or flat
  --max-message-bytes N    longer lines are counted as dead (too_large) unread (default ${DEFAULT_MAX_MESSAGE_BYTES})
  -h, --help               this text
`;

const OUTPUT_BATCH_CHARS = 64 * 1024;

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        'max-message-bytes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`csbs-errors extract: ${errorMessage(error)}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const maxBytesOption = parsed.values['max-message-bytes'];
  const options = extractorOptionsSchema.safeParse({
    format: parsed.values.format,
    maxMessageBytes: maxBytesOption === undefined ? undefined : Number(maxBytesOption),
  });
  if (!options.success) {
    const problems = options.error.issues.map((issue) => `${optionName(issue.path)}: ${issue.message}`).join('; ');
    process.stderr.write(`csbs-errors extract: ${problems}\n`);
    return 2;
  }

  const files = parsed.positionals.length > 0 ? parsed.positionals : ['-'];
  const output = new NdjsonOutput(process.stdout);
  const summary = new Summary();
  const extractor = createExtractor(options.data);
  let unreadable = 0;
  for (const file of files) {
    if (output.closed) break;
    try {
      await extractFile(file, extractor, options.data, output, summary);
    } catch (error) {
      unreadable++;
      process.stderr.write(`csbs-errors extract: cannot read ${file === '-' ? 'stdin' : file}: ${errorMessage(error)}\n`);
    }
  }
  await output.end();
  process.stderr.write(summary.render());
  return unreadable > 0 ? 1 : 0;
}

/** The command-line option behind an extractor option (`fieldMapping` only comes up for `--format mapped`). */
const OPTION_NAMES: Record<string, string> = { maxMessageBytes: '--max-message-bytes', format: '--format', fieldMapping: '--format' };

function optionName(path: PropertyKey[]): string {
  return OPTION_NAMES[String(path[0])] ?? String(path[0]);
}

async function extractFile(file: string, extractor: Extractor, config: ExtractorConfig, output: NdjsonOutput, summary: Summary): Promise<void> {
  let lineNumber = 0;
  const lines = new LineSplitter(config.maxMessageBytes, (line) => {
    lineNumber++;
    summary.lines++;
    for (const outcome of extractor.extractMessage(line)) {
      summary.count(outcome);
      if (outcome.kind === 'event') output.write(`{"line":${lineNumber},${JSON.stringify(outcome.event).slice(1)}`);
    }
  });
  for await (const chunk of inputChunks(file)) {
    lines.push(chunk);
    await output.drained();
    if (output.closed) return;
  }
  lines.end();
}

/** Buffered NDJSON writer that respects the destination's backpressure and stops on a closed pipe. */
class NdjsonOutput {
  readonly #destination: Writable;
  #batch: string[] = [];
  #batchChars = 0;
  #mustDrain = false;
  closed = false;

  constructor(destination: Writable) {
    this.#destination = destination;
    destination.on('error', (error: NodeJS.ErrnoException) => {
      // `| head` closes the pipe: stop producing quietly; other write errors end the run the same way.
      this.closed = true;
      if (error.code !== 'EPIPE') process.stderr.write(`csbs-errors extract: cannot write output: ${error.message}\n`);
    });
  }

  write(line: string): void {
    if (this.closed) return;
    this.#batch.push(line);
    this.#batchChars += line.length + 1;
    if (this.#batchChars >= OUTPUT_BATCH_CHARS) this.#flush();
  }

  /** Resolves once the destination can take more (at once when it can), or has failed. */
  async drained(): Promise<void> {
    if (!this.#mustDrain || this.closed) return;
    const destination = this.#destination;
    await new Promise<void>((resolve) => {
      const settle = () => {
        destination.off('drain', settle);
        destination.off('error', settle);
        resolve();
      };
      destination.on('drain', settle);
      destination.on('error', settle);
    });
    this.#mustDrain = false;
  }

  async end(): Promise<void> {
    this.#flush();
    await this.drained();
  }

  #flush(): void {
    if (this.#batch.length === 0 || this.closed) return;
    const text = `${this.#batch.join('\n')}\n`;
    this.#batch = [];
    this.#batchChars = 0;
    if (!this.#destination.write(text)) this.#mustDrain = true;
  }
}

class Summary {
  lines = 0;
  events = 0;
  requests = 0;
  readonly skipped = new Map<string, number>();
  readonly dead = new Map<string, number>();

  count(outcome: RecordOutcome): void {
    switch (outcome.kind) {
      case 'event':
        this.events++;
        this.requests++;
        break;
      case 'request':
        this.requests++;
        break;
      case 'skip':
        this.skipped.set(outcome.reason, (this.skipped.get(outcome.reason) ?? 0) + 1);
        break;
      case 'dead':
        this.dead.set(outcome.reason, (this.dead.get(outcome.reason) ?? 0) + 1);
        break;
    }
  }

  render(): string {
    const total = (counts: Map<string, number>) => [...counts.values()].reduce((sum, n) => sum + n, 0);
    const byReason = (counts: Map<string, number>) =>
      counts.size === 0 ? '' : `  (${[...counts].sort(([a], [b]) => a.localeCompare(b)).map(([reason, n]) => `${reason} ${n}`).join(', ')})`;
    const rows: Array<[string, number, string]> = [
      ['lines', this.lines, ''],
      ['events', this.events, ''],
      ['requests', this.requests, ''],
      ['skipped', total(this.skipped), byReason(this.skipped)],
      ['dead', total(this.dead), byReason(this.dead)],
    ];
    const width = Math.max(...rows.map(([, n]) => String(n).length));
    return `csbs-errors extract: summary\n${rows.map(([name, n, reasons]) => `  ${name.padEnd(8)} ${String(n).padStart(width)}${reasons}\n`).join('')}`;
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
