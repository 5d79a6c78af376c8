import type { FastifyError, FastifyInstance } from 'fastify';
import { KeyStoreError } from '../stores/redis-key-store.js';
import { STORE_UNAVAILABLE_HTTP, StoreUnavailableError } from '../core/errors.js';
import { InvalidIdError } from '../stores/ids.js';

/** An error the API answers with its own status and code: `{ "error": { "code", "message" } }`. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One error shape for every failure, including fastify's own (bad JSON, too large, wrong content type). */
export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof ApiError) return reply.code(error.statusCode).send({ error: { code: error.code, message: error.message } });
    if (error instanceof KeyStoreError || error instanceof InvalidIdError)
      return reply.code(error.status).send({ error: { code: error.code, message: error.message } });
    if (error instanceof StoreUnavailableError) {
      request.log.warn({ err: { message: error.message } }, 'store unavailable');
      return reply
        .code(error.status)
        .header('Retry-After', String(STORE_UNAVAILABLE_HTTP.retryAfterSeconds))
        .send({ error: { code: STORE_UNAVAILABLE_HTTP.code, message: 'the store is unavailable; retry shortly' } });
    }
    const fe = error as FastifyError;
    if (fe.validation) return reply.code(400).send({ error: { code: 'bad_request', message: fe.message } });
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      const code = fe.statusCode === 413 ? 'too_large' : fe.statusCode === 415 ? 'unsupported_media_type' : 'bad_request';
      return reply.code(fe.statusCode).send({ error: { code, message: fe.message } });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'internal', message: 'internal error' } });
  });
}
