import type { FastifyReply, FastifyRequest } from 'fastify';
import { ENV_ADMIN_TOKEN_ID, type ApiToken, type ApiTokens, type Scope } from '../stores/api-tokens.js';
import type { AuthFailures } from './auth-failures.js';
import { ApiError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiToken?: ApiToken;
  }
}

/** What checks a bearer token: the token store, and the count of failed attempts per client address. */
export interface BearerAuth {
  tokens: ApiTokens;
  failures: AuthFailures;
}

function throttled(reply: FastifyReply, seconds: number): ApiError {
  void reply.header('Retry-After', String(seconds));
  return new ApiError(429, 'rate_limited', `too many failed authentications from your address; try again in ${seconds} s`);
}

/**
 * An onRequest hook that admits a bearer token with one of `scopes` (an admin
 * token passes everywhere): 401 for a missing or unknown token, 403 for the
 * wrong scope. It runs before the body is read or validated, so no one
 * without the scope learns anything, not even the body's schema.
 *
 * Wrong tokens are counted per client address (AuthFailures): past the limit
 * they get 429 with Retry-After. A correct minted token is still accepted
 * from that address, and costs no extra Redis call: its 240 random bits
 * cannot be guessed, so accepting it teaches a guesser nothing, and a gateway
 * behind the same NAT as a guesser keeps working. NEEVSCAN_ADMIN_TOKEN is
 * chosen by an operator and may be guessable: from a throttled address it is
 * refused like any guess (one Redis call on each of its uses).
 */
export function requireScope(auth: BearerAuth, scopes: readonly Scope[]) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const presented = match?.[1];
    const token = presented ? await auth.tokens.verify(presented) : null;
    if (token?.id === ENV_ADMIN_TOKEN_ID) {
      const wait = await auth.failures.blockedFor(request.ip);
      if (wait) throw throttled(reply, wait);
    }
    if (!token) {
      // A request without a token is no guess: only a token presented and refused counts.
      const wait = presented ? await auth.failures.fail(request.ip) : 0;
      if (wait) throw throttled(reply, wait);
      void reply.header('WWW-Authenticate', 'Bearer');
      throw new ApiError(401, 'unauthorized', 'a valid API token is required (Authorization: Bearer <token>)');
    }
    if (token.scope !== 'admin' && !scopes.includes(token.scope)) {
      throw new ApiError(403, 'forbidden', `this needs a token with scope ${['admin', ...scopes].join(' or ')}`);
    }
    request.apiToken = token;
  };
}
