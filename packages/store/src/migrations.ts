/**
 * Numbered SQL migrations (`migrations/NNNN_name.sql`), applied in order and recorded with a
 * checksum. An applied file whose text changed is an error: schema history is never rewritten
 * silently. Statements in a file end with `;` at the end of a line.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { clusterStatements } from './cluster.js';

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function splitStatements(sql: string): string[] {
  return sql
    .split(/;[ \t]*$/m)
    .map((statement) =>
      statement
        .split('\n')
        .filter((line) => !/^\s*--/.test(line))
        .join('\n')
        .trim(),
    )
    .filter((statement) => statement.length > 0);
}

export function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new MigrationError(`migration file name '${file}' does not match NNNN_name.sql`);
    const text = readFileSync(join(dir, file), 'utf8');
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) throw new MigrationError(`two migrations have version ${version}`);
    migrations.push({
      version,
      name: match[2] ?? file,
      checksum: createHash('sha256').update(text).digest('hex'),
      statements: splitStatements(text),
    });
  }
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

export interface MigrationResult {
  applied: Array<{ version: number; name: string }>;
  alreadyApplied: number;
}

export interface SchemaOptions {
  /** Cluster name: the cluster variant of the schema (see cluster.ts); unset for one node. */
  cluster?: string | undefined;
}

/** The statements to run for one migration statement in the chosen variant. */
export function variantStatements(statement: string, options: SchemaOptions): string[] {
  return options.cluster === undefined ? [statement] : clusterStatements(statement, options.cluster);
}

/** Runs one single-node statement in the chosen variant. */
export async function runStatement(client: ClickHouseClient, statement: string, options: SchemaOptions): Promise<void> {
  for (const query of variantStatements(statement, options)) await client.command({ query });
}

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations
(version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
ENGINE = MergeTree ORDER BY version`;

export async function migrate(client: ClickHouseClient, migrations: Migration[] = readMigrations(), options: SchemaOptions = {}): Promise<MigrationResult> {
  await runStatement(client, MIGRATIONS_TABLE, options);
  const applied = await (
    await client.query({ query: 'SELECT version, name, checksum FROM schema_migrations ORDER BY version', format: 'JSONEachRow' })
  ).json<AppliedRow>();
  const appliedByVersion = new Map(applied.map((row) => [Number(row.version), row]));
  const known = new Set(migrations.map((m) => m.version));
  for (const row of applied) {
    if (!known.has(Number(row.version))) {
      throw new MigrationError(`the store has migration ${row.version} (${row.name}) that this version does not know: is it older than the schema?`);
    }
  }
  const result: MigrationResult = { applied: [], alreadyApplied: 0 };
  for (const migration of migrations) {
    const done = appliedByVersion.get(migration.version);
    if (done) {
      if (done.checksum !== migration.checksum) {
        throw new MigrationError(
          `migration ${String(migration.version).padStart(4, '0')}_${migration.name}.sql was edited after it was applied (checksum differs); add a new migration instead`,
        );
      }
      result.alreadyApplied += 1;
      continue;
    }
    for (const statement of migration.statements) await runStatement(client, statement, options);
    await client.insert({
      table: 'schema_migrations',
      values: [{ version: migration.version, name: migration.name, checksum: migration.checksum }],
      format: 'JSONEachRow',
    });
    result.applied.push({ version: migration.version, name: migration.name });
  }
  return result;
}

/** True when every known migration is recorded as applied (for readiness checks). */
export async function migrationsApplied(client: ClickHouseClient, migrations: Migration[] = readMigrations()): Promise<boolean> {
  try {
    const rows = await (await client.query({ query: 'SELECT version, checksum FROM schema_migrations', format: 'JSONEachRow' })).json<AppliedRow>();
    const applied = new Map(rows.map((r) => [Number(r.version), r.checksum]));
    return migrations.every((m) => applied.get(m.version) === m.checksum);
  } catch {
    return false;
  }
}
