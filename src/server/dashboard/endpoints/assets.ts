import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';

const ASSETS = new URL('../../../../public/', import.meta.url);

/** GET /assets/:name: the dashboard's stylesheet, script and icon, read once at start. */
export function register(scope: FastifyInstance): void {
  // A Map, not an object: `/assets/constructor` or `/assets/__proto__` must find nothing rather than Object's own members.
  const assets = new Map([
    ['dashboard.css', { type: 'text/css; charset=utf-8', body: readFileSync(new URL('dashboard.css', ASSETS), 'utf8') }],
    ['dashboard.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('dashboard.js', ASSETS), 'utf8') }],
    ['favicon.svg', { type: 'image/svg+xml', body: readFileSync(new URL('favicon.svg', ASSETS), 'utf8') }],
  ]);
  scope.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset) throw new ApiError(404, 'not_found', 'no such file');
    return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
  });
}
