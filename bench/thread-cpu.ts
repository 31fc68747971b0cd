/**
 * CPU time of this process by thread name, from /proc/self/task (Linux): where the CPU of a run
 * goes (the JS main thread, extraction threads, libuv, V8's GC helpers, the engine's own threads).
 * Threads that end between two snapshots are not counted.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export type ThreadCpu = Map<string, number>;

/** CPU seconds by thread, keyed `tid name`. */
export function threadCpu(): ThreadCpu {
  const result: ThreadCpu = new Map();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return result;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // Fields after the name start at state (3rd field): utime is the 14th, stime the 15th.
      const ticks = Number(fields[11]) + Number(fields[12]);
      result.set(`${tid} ${name}`, ticks / TICKS_PER_SECOND);
    } catch {
      // the thread ended meanwhile
    }
  }
  return result;
}

/**
 * CPU seconds used between two snapshots, summed by thread name, largest first. The main thread is
 * `main`; the other threads Node starts (workers, libuv, V8 helpers) all bear the process name, so
 * the busiest few of those are listed one by one (`node#1` first).
 */
export function cpuByName(before: ThreadCpu, after: ThreadCpu): Array<[string, number]> {
  const byName = new Map<string, number>();
  const unnamed: number[] = [];
  for (const [key, seconds] of after) {
    const used = seconds - (before.get(key) ?? 0);
    const tid = Number(key.slice(0, key.indexOf(' ')));
    const name = key.slice(key.indexOf(' ') + 1);
    if (tid === process.pid) byName.set('main', used);
    else if (name === 'node') unnamed.push(used);
    else byName.set(name, (byName.get(name) ?? 0) + used);
  }
  unnamed.sort((a, b) => b - a);
  unnamed.forEach((used, index) => {
    const name = index < 3 ? `node#${index + 1}` : 'node (others)';
    byName.set(name, (byName.get(name) ?? 0) + used);
  });
  return [...byName].filter(([, seconds]) => seconds > 0).sort((a, b) => b[1] - a[1]);
}

export function describeCpu(rows: Array<[string, number]>, records: number): string {
  return rows.map(([name, seconds]) => `${name} ${((seconds * 1e6) / records).toFixed(1)}`).join(', ');
}
