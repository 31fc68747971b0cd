/**
 * Resources hit: the values that filled the catalog templates' placeholders (server ids, volume
 * ids, ...), counted. What a placeholder names is read from its template: a `{name}` placeholder
 * names itself; a `%s` is named by the last known noun before it ("Server (%s) status (%s)" →
 * server, status). The catalog is the vendor's data, so the naming lives here, next to its use.
 */
import type { Catalog } from '@csbs-errors/catalog';
import { queryResourceKinds, type Filters, type PlaceholderKinds, type QueryFn, type ResourceKind, type Window } from '@csbs-errors/query';

const NOUNS: ReadonlyArray<[RegExp, string]> = [
  [/quota exceeded for resources/gi, 'quota'],
  [/checkpoint[ _]item/gi, 'checkpoint item'],
  [/server/gi, 'server'],
  [/volume/gi, 'volume'],
  [/resource/gi, 'resource'],
  [/backup/gi, 'backup'],
  [/type/gi, 'type'],
  [/status/gi, 'status'],
  [/size/gi, 'size'],
  [/count/gi, 'count'],
];

/** Kinds that name a resource (an id), as opposed to an attribute such as a type or a size. */
export const RESOURCE_KINDS: ReadonlySet<string> = new Set(['server', 'volume', 'resource', 'backup', 'checkpoint item']);

const PLACEHOLDER = /%s|\{([a-z_]+)\}/g;

/** What each placeholder of a template names, in order. */
export function placeholderKinds(template: string): string[] {
  const kinds: string[] = [];
  let textStart = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const before = template.slice(textStart, match.index);
    const after = template.slice(match.index + match[0].length);
    textStart = match.index + match[0].length;
    if (match[1] !== undefined) {
      kinds.push(match[1].replace(/_id$/, '').replace(/_/g, ' '));
      continue;
    }
    kinds.push(lastNoun(before) ?? (before.trim() === '' && /^\s*failed\b/.test(after) ? 'failed action' : 'value'));
  }
  return kinds;
}

/** The noun that ends last in `text` (the longer one on a tie: "quota exceeded for resources" over "resources"). */
function lastNoun(text: string): string | undefined {
  let best: { end: number; length: number; kind: string } | undefined;
  for (const [pattern, kind] of NOUNS) {
    for (const match of text.matchAll(pattern)) {
      const end = match.index + match[0].length;
      if (best === undefined || end > best.end || (end === best.end && match[0].length > best.length)) best = { end, length: match[0].length, kind };
    }
  }
  return best?.kind;
}

/** `code|catalog status|placeholder index (1-based)` → kind, for every catalog row. */
function kindTable(catalog: Catalog): PlaceholderKinds {
  const keys: string[] = [];
  const kinds: string[] = [];
  for (const row of catalog.rows) {
    placeholderKinds(row.template).forEach((kind, i) => {
      keys.push(`${row.code}|${row.status}|${i + 1}`);
      kinds.push(kind);
    });
  }
  return { keys, kinds };
}

export async function queryResources(query: QueryFn, catalog: Catalog, window: Window, filters: Filters, perKind: number): Promise<ResourceKind[]> {
  const kinds = await queryResourceKinds(query, kindTable(catalog), window, filters, perKind);
  // Resources (ids) first, then the attributes; each by events.
  return kinds.sort((a, b) => Number(RESOURCE_KINDS.has(b.kind)) - Number(RESOURCE_KINDS.has(a.kind)) || b.count - a.count || a.kind.localeCompare(b.kind));
}
