/**
 * Bearer tokens for /v1. With tokens configured, a request names one in `Authorization: Bearer ...`;
 * it is compared with every configured token in constant time (SHA-256 digests through
 * crypto.timingSafeEqual, all of them, no early exit), so neither the match nor its position leaks
 * through timing. A request is known by the token's index afterwards, never by the token itself.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ApiToken } from '@csbs-errors/config';
import type { Principal } from './params.js';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export interface TokenTable {
  /** True when tokens are configured, i.e. /v1 needs one. */
  readonly required: boolean;
  /** The principal a request's Authorization header names; undefined when it names none of ours. */
  identify(header: string | undefined): Principal | undefined;
}

export function tokenTable(tokens: readonly ApiToken[]): TokenTable {
  const entries = tokens.map((t, id) => ({ id, digest: digest(t.token), tenant: t.tenant }));
  return {
    required: entries.length > 0,
    identify(header) {
      if (entries.length === 0) return {};
      if (header === undefined) return undefined;
      const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
      if (!match?.[1]) return undefined;
      const presented = digest(match[1]);
      let found: (typeof entries)[number] | undefined;
      for (const entry of entries) {
        if (timingSafeEqual(entry.digest, presented) && found === undefined) found = entry;
      }
      return found && { id: found.id, ...(found.tenant !== undefined ? { tenant: found.tenant } : {}) };
    },
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking (set for /v1 routes); undefined when the token was missing or unknown. */
    principal: Principal | undefined;
  }
}

export function principalOf(request: FastifyRequest): Principal | undefined {
  return request.principal;
}
