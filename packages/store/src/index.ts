export { createStoreClient, parseStoreUrl, describeTarget, DEFAULT_STORE_URL, type StoreTarget, type StoreKind } from './client.js';
export { migrate, migrationsApplied, readMigrations, splitStatements, variantStatements, MigrationError, DEFAULT_MIGRATIONS_DIR, type Migration, type MigrationResult, type SchemaOptions } from './migrations.js';
export { clusterStatements, ClusterSchemaError, INSERT_SELECT, LOCAL_SUFFIX } from './cluster.js';
export { applyRetention } from './retention.js';
export { writeBatch, type StoredBatch, type StoredEvent, type RequestCountRow } from './writer.js';
export type { ClickHouseClient } from '@clickhouse/client';
