/**
 * Configuration from the environment, validated with zod. Every service reads its settings here,
 * so that a typo or a bad value fails at start-up with a message that names the variable.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535); // 0: any free port (tests)
const positiveInt = z.coerce.number().int().positive();

/** A whole number where 0 turns the feature off (an empty value is an error, not 0). */
const countOrOff = (max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'expected a whole number (0 turns it off)')
    .transform(Number)
    .pipe(z.number().int().max(max, `at most ${max}`));

const csv = z
  .string()
  .transform((s) => s.split(',').map((part) => part.trim()).filter((part) => part.length > 0))
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port')).min(1, 'expected at least one host:port'));

const clickhouseUrl = z
  .string()
  .trim()
  .refine((s) => /^(https?|chdb):\/\//.test(s), 'expected http(s)://HOST:PORT[/DB] for a server or chdb://DIR for the embedded engine');

const apiTokenEntry = z.object({ token: z.string().min(16, 'tokens need at least 16 characters'), tenant: z.string().min(1).optional() }).strict();
export const apiTokensSchema = z.array(apiTokenEntry);
export type ApiToken = z.infer<typeof apiTokenEntry>;

const envSchema = z.object({
  KAFKA_BROKERS: csv.default(['127.0.0.1:9092']),
  KAFKA_TOPIC: z.string().min(1).default('gateway-logs'),
  KAFKA_GROUP_ID: z.string().min(1).default('csbs-errors'),
  KAFKA_DLQ_TOPIC: z.string().min(1).optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('csbs-errors'),
  CLICKHOUSE_URL: clickhouseUrl.default('chdb://./data/clickhouse'),
  CLICKHOUSE_CLUSTER: z.string().regex(/^[A-Za-z0-9_]+$/, 'expected a cluster name (letters, digits, _)').optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  INGEST_BATCH_MAX_ROWS: positiveInt.default(50_000),
  INGEST_BATCH_MAX_MS: positiveInt.default(1_000),
  INGEST_PARTITIONS_CONCURRENCY: positiveInt.default(6),
  MAX_MESSAGE_BYTES: positiveInt.default(8 * 1024 * 1024),
  SERVICE_PATTERN: z
    .string()
    .default('csbs|karbor|backup')
    .transform((s, ctx) => {
      try {
        return new RegExp(s, 'i');
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not a valid regular expression' });
        return z.NEVER;
      }
    }),
  RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(90),
  API_TOKENS: z.string().optional(),
  API_TOKENS_FILE: z.string().optional(),
  API_RATE_LIMIT_PER_MINUTE: countOrOff(1_000_000).default(600),
  API_CACHE_TTL_MS: countOrOff(3_600_000).default(1_000),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  kafka: { brokers: string[]; topic: string; groupId: string; dlqTopic: string; clientId: string };
  clickhouse: { url: string; cluster: string | undefined; retentionDays: number };
  api: {
    host: string;
    port: number;
    tokens: ApiToken[];
    /** Requests a minute per token (per client address without tokens); 0: no limit. */
    rateLimitPerMinute: number;
    /** How long an identical query's answer is reused; 0: no answer cache. */
    cacheTtlMs: number;
  };
  ingest: { batchMaxRows: number; batchMaxMs: number; partitionsConcurrency: number; maxMessageBytes: number; servicePattern: RegExp };
  logLevel: Env['LOG_LEVEL'];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describeIssues(error: z.ZodError, prefix = ''): string {
  return error.issues.map((issue) => `  ${prefix}${issue.path.join('.') || '(value)'}: ${issue.message}`).join('\n');
}

function loadTokens(env: Env): ApiToken[] {
  const sources: Array<[string, string]> = [];
  if (env.API_TOKENS !== undefined && env.API_TOKENS.trim() !== '') sources.push(['API_TOKENS', env.API_TOKENS]);
  if (env.API_TOKENS_FILE !== undefined && env.API_TOKENS_FILE.trim() !== '') {
    let text: string;
    try {
      text = readFileSync(env.API_TOKENS_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError(`invalid configuration:\n  API_TOKENS_FILE: cannot read ${env.API_TOKENS_FILE}: ${(error as Error).message}`);
    }
    sources.push(['API_TOKENS_FILE', text]);
  }
  const tokens: ApiToken[] = [];
  for (const [name, text] of sources) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ConfigError(`invalid configuration:\n  ${name}: not JSON; expected [{"token": "...", "tenant": "<id>"?}, ...]`);
    }
    const result = apiTokensSchema.safeParse(parsed);
    if (!result.success) throw new ConfigError(`invalid configuration:\n${describeIssues(result.error, `${name}.`)}`);
    tokens.push(...result.data);
  }
  return tokens;
}

/** Reads and validates the configuration; throws ConfigError with one line per bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const result = envSchema.safeParse(source);
  if (!result.success) throw new ConfigError(`invalid configuration:\n${describeIssues(result.error)}`);
  const env = result.data;
  return {
    kafka: {
      brokers: env.KAFKA_BROKERS,
      topic: env.KAFKA_TOPIC,
      groupId: env.KAFKA_GROUP_ID,
      dlqTopic: env.KAFKA_DLQ_TOPIC ?? `${env.KAFKA_TOPIC}.dlq`,
      clientId: env.KAFKA_CLIENT_ID,
    },
    clickhouse: { url: env.CLICKHOUSE_URL, cluster: env.CLICKHOUSE_CLUSTER, retentionDays: env.RETENTION_DAYS },
    api: { host: env.HOST, port: env.PORT, tokens: loadTokens(env), rateLimitPerMinute: env.API_RATE_LIMIT_PER_MINUTE, cacheTtlMs: env.API_CACHE_TTL_MS },
    ingest: {
      batchMaxRows: env.INGEST_BATCH_MAX_ROWS,
      batchMaxMs: env.INGEST_BATCH_MAX_MS,
      partitionsConcurrency: env.INGEST_PARTITIONS_CONCURRENCY,
      maxMessageBytes: env.MAX_MESSAGE_BYTES,
      servicePattern: env.SERVICE_PATTERN,
    },
    logLevel: env.LOG_LEVEL,
  };
}
