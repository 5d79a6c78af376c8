/**
 * `neevscan poll` is its own process, so it serves its own /metrics (the
 * process registry, in Prometheus text format), /healthz (alive) and /readyz
 * (Redis reachable), on a small HTTP server: nothing else is served.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from '../metrics/registry.js';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(
  host: string,
  port: number,
  status: { redisReady: () => boolean; health: () => Record<string, unknown> },
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return json(405, { error: { code: 'method_not_allowed', message: 'GET only' } });
    if (path === '/healthz') return json(200, { status: 'ok', ...status.health() });
    if (path === '/readyz') {
      return status.redisReady()
        ? json(200, { status: 'ready' })
        : json(503, { error: { code: 'not_ready', message: 'Redis is not reachable (REDIS_URL)' } });
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (error: Error) => json(500, { error: { code: 'internal', message: error.message } }),
      );
      return;
    }
    json(404, { error: { code: 'not_found', message: 'only /metrics, /healthz and /readyz are served here' } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
