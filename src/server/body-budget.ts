import type { FastifyInstance } from 'fastify';
import { clientKey } from './client-key.js';
import { ApiError } from './errors.js';

const MB = 1024 * 1024;

export interface BodyBudgetLimits {
  /** Bytes of unauthenticated bodies all connections together may be sending at once. */
  totalBytes: number;
  /** Of which bodies larger than `largeBody`: the rest is kept for the small ones, which most deliveries are. */
  largeBytes: number;
  /** Bytes of large bodies one client address (an IPv6 /64) may be sending at once. */
  perAddressBytes: number;
  /** A body up to this size is small: only `totalBytes` bounds it. */
  largeBody: number;
}

/**
 * The defaults: room for three of GitHub's largest deliveries (25 MB) at once, two from one address, and 16 MB
 * kept for ordinary ones (a push delivery is a few KB, a partner batch well under 1 MB).
 */
export const BODY_BUDGET: BodyBudgetLimits = { totalBytes: 96 * MB, largeBytes: 80 * MB, perAddressBytes: 50 * MB, largeBody: 1 * MB };

/**
 * Bytes of request bodies being received for routes that must hold the whole
 * body before they can check who sent it (the webhook and partner endpoints
 * verify a signature over the exact bytes). Whatever any number of
 * connections send, no more than `totalBytes` is held at once: a request that
 * would go over is refused before a byte of its body is read.
 */
export class BodyBudget {
  private total = 0;
  private large = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(readonly limits: BodyBudgetLimits = BODY_BUDGET) {}

  /** Reserves `bytes` for a body from `address`: null when taken, else why not ('busy': the service; 'address': this client). */
  take(address: string, bytes: number): null | 'busy' | 'address' {
    const { totalBytes, largeBytes, perAddressBytes, largeBody } = this.limits;
    if (this.total + bytes > totalBytes) return 'busy';
    if (bytes > largeBody) {
      if (this.large + bytes > largeBytes) return 'busy';
      const mine = this.byAddress.get(address) ?? 0;
      if (mine + bytes > perAddressBytes) return 'address';
      this.large += bytes;
      this.byAddress.set(address, mine + bytes);
    }
    this.total += bytes;
    return null;
  }

  give(address: string, bytes: number): void {
    this.total -= bytes;
    if (bytes <= this.limits.largeBody) return;
    this.large -= bytes;
    const left = (this.byAddress.get(address) ?? 0) - bytes;
    if (left > 0) this.byAddress.set(address, left);
    else this.byAddress.delete(address);
  }

  /** Bytes reserved now (for tests and metrics). */
  get inFlight(): number {
    return this.total;
  }
}

/**
 * An onRequest hook for a scope whose bodies are read whole before their
 * sender is known: it reserves the body's declared length (a chunked body:
 * the route's limit) in `budget` until the response is done or the
 * connection drops, and refuses what does not fit with 503 (the service is
 * busy) or 429 (this address holds its share), with Retry-After, and closes
 * the connection rather than read the rest. A body declared over `bodyLimit`
 * reserves nothing: fastify refuses it unread (413).
 */
export function limitBodiesInFlight(scope: FastifyInstance, budget: BodyBudget, bodyLimit: number): void {
  scope.addHook('onRequest', async (request, reply) => {
    const declared = request.headers['content-length'];
    const chunked = request.headers['transfer-encoding'] !== undefined;
    let bytes: number;
    if (chunked) bytes = bodyLimit;
    else if (declared !== undefined && /^\d{1,15}$/.test(declared)) bytes = Number(declared);
    else return;
    if (bytes === 0 || bytes > bodyLimit) return;
    const address = clientKey(request.ip);
    const refused = budget.take(address, bytes);
    if (refused) {
      void reply.header('Retry-After', '10').header('Connection', 'close');
      if (refused === 'address')
        throw new ApiError(429, 'rate_limited', 'your address is already sending as much as it may at once; retry shortly');
      throw new ApiError(503, 'busy', 'too many large requests are being received at once; retry shortly');
    }
    let held = true;
    reply.raw.once('close', () => {
      if (held) budget.give(address, bytes);
      held = false;
    });
  });
}
