/**
 * The records of the ingest bench: the shapes of the shared sample lines with fresh ids and
 * timestamps (about 5 % errors), and the live records of its freshness run.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seeded } from './random.js';

export const ERROR_SHARE = 0.05;
const samplesDir = fileURLToPath(new URL('../../shared/samples/', import.meta.url));

/** A sample line cut at its ids and timestamps, which each record gets fresh. */
interface Template {
  parts: string[];
  holes: Array<'uuid' | 'hex32' | 'iso' | 'epoch'>;
}

const HOLES = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|(?<![0-9a-f])([0-9a-f]{32})(?![0-9a-f])|(20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)|(?<![\d.])(1[78]\d{11})(?=[.,}\s])/g;

function compile(line: string): Template {
  const parts: string[] = [];
  const holes: Template['holes'] = [];
  let at = 0;
  for (const match of line.matchAll(HOLES)) {
    parts.push(line.slice(at, match.index));
    holes.push(match[1] ? 'uuid' : match[2] ? 'hex32' : match[3] ? 'iso' : 'epoch');
    at = match.index + match[0].length;
  }
  parts.push(line.slice(at));
  return { parts, holes };
}

/** Records in the shapes of the sample lines: single records that the samples read as a request or as one error. */
export class RecordGenerator {
  private readonly ok: Template[] = [];
  private readonly errors: Template[] = [];
  private readonly random = seeded(20261127);
  /** Tenants (and other 32-hex ids) come from a pool, as in real traffic; resource ids are new. */
  private readonly hexPool: string[];
  private readonly start = Date.now() - 3_600_000;
  private seq = 0;

  constructor(readonly runId: string) {
    const lines = readFileSync(`${samplesDir}gateway-records.ndjson`, 'utf8').split('\n');
    const expected = readFileSync(`${samplesDir}expected-events.ndjson`, 'utf8').split('\n').filter((l) => l.trim() !== '');
    expected.forEach((text, i) => {
      const e = JSON.parse(text) as { events: unknown[]; dead: number; requests: number };
      const line = lines[i] ?? '';
      if (!line.startsWith('{') || e.dead !== 0 || e.requests !== 1) return;
      if (e.events.length === 0) this.ok.push(compile(line));
      else if (e.events.length === 1) this.errors.push(compile(line));
    });
    if (this.ok.length === 0 || this.errors.length === 0) throw new Error('no usable sample lines');
    this.hexPool = Array.from({ length: 400 }, () => this.hex(32));
  }

  private hex(length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) s += Math.floor(this.random() * 16).toString(16);
    return s;
  }

  private fill(template: Template, at: number): string {
    let out = template.parts[0] ?? '';
    template.holes.forEach((hole, i) => {
      switch (hole) {
        case 'uuid':
          out += `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}`;
          break;
        case 'hex32':
          out += this.hexPool[Math.floor(this.random() * this.hexPool.length)];
          break;
        case 'iso':
          out += new Date(at).toISOString();
          break;
        case 'epoch':
          out += String(at);
          break;
      }
      out += template.parts[i + 1] ?? '';
    });
    return out;
  }

  /** A record of the bulk: timestamps spread over the last hour. */
  next(total: number): { value: Buffer; error: boolean } {
    const at = this.start + Math.floor((this.seq++ / total) * 3_600_000);
    const error = this.random() < ERROR_SHARE;
    const pool = error ? this.errors : this.ok;
    return { value: Buffer.from(this.fill(pool[Math.floor(this.random() * pool.length)]!, at)), error };
  }

  /** A record of the freshness run: errors carry their send time in request_id. */
  live(now: number): Buffer {
    if (this.random() >= ERROR_SHARE) return Buffer.from(this.fill(this.ok[Math.floor(this.random() * this.ok.length)]!, now));
    return Buffer.from(
      JSON.stringify({
        timestamp: new Date(now).toISOString(),
        method: 'POST',
        path: `/v1/${this.hexPool[0]}/providers/${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}/checkpoints`,
        status: 500,
        request_id: `fresh-${this.runId}-${now}-${this.seq++}`,
        duration: 312,
        authority: 'csbs.eu-de.example.com',
        upstream_cluster: 'csbs',
        resp_body: JSON.stringify({ error_code: 'CSBS.9999', error_msg: 'Create backup failed' }),
      }),
    );
  }
}
