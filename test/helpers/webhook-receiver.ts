import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';

/** A real HTTP receiver on a loopback port: records every request, answers as scripted per path (default 204). */
export interface ReceivedRequest {
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status it was answered with. */
  status: number;
}

export interface WebhookReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Answers the next requests to `path` with these statuses, in turn; after them, 204. */
  script(path: string, statuses: number[]): void;
  /** Answers requests to `path` with a custom handler instead. */
  handle(path: string, handler: (res: ServerResponse) => void): void;
  close(): Promise<void>;
}

/** `port`: listen there (a test that stops the receiver and starts it again at the owners' URLs); default any free port. */
export async function startWebhookReceiver(options: { port?: number } = {}): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const scripts = new Map<string, number[]>();
  const handlers = new Map<string, (res: ServerResponse) => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const handler = handlers.get(path);
      const status = handler ? 0 : (scripts.get(path)?.shift() ?? 204);
      requests.push({ path, method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      if (handler) return handler(res);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 400 ? 'no' : '');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (path, statuses) => void scripts.set(path, [...statuses]),
    handle: (path, handler) => void handlers.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
