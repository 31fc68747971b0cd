/** The API's options from its settings (packages/config: API_RATE_LIMIT_PER_MINUTE, API_CACHE_TTL_MS). */
import type { Config } from '@csbs-errors/config';
import { DEFAULT_QUERY_CACHE, type QueryCache } from '@csbs-errors/query';
import type { RateLimitOptions } from './plugins/v1.js';

export function apiLimits(settings: Pick<Config['api'], 'rateLimitPerMinute' | 'cacheTtlMs'>): { rateLimit: RateLimitOptions | false; cache: QueryCache | false } {
  return {
    rateLimit: settings.rateLimitPerMinute === 0 ? false : { max: settings.rateLimitPerMinute, timeWindowMs: 60_000 },
    cache: settings.cacheTtlMs === 0 ? false : { ...DEFAULT_QUERY_CACHE, ttlMs: settings.cacheTtlMs },
  };
}
