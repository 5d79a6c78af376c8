/**
 * The GitHub clients' fetch (node:http keep-alive): what Octokit reads of a fetch answer behaves as the global fetch's
 * does — redirects, compressed answers, raw bodies, answers without a body, network failures and aborts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFetch } from '../../src/github/http-fetch.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function listen(handler: Handler): Promise<{
  server: Server;
  url: string;
  seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }>;
}> {
  const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}`, seen };
}

const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(value));
};

describe('httpFetch', () => {
  let main: Awaited<ReturnType<typeof listen>>;
  let other: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    other = await listen((req, res) => json(res, 200, { where: 'other', auth: req.headers.authorization ?? null }));
    main = await listen((req, res, body) => {
      const path = req.url!;
      if (path === '/moved') return (res.writeHead(301, { location: '/repos/o/renamed' }), res.end());
      if (path === '/repos/o/renamed') return json(res, 200, { full_name: 'o/renamed' });
      if (path === '/post-302') return (res.writeHead(302, { location: '/echo' }), res.end());
      if (path === '/post-307') return (res.writeHead(307, { location: '/echo' }), res.end());
      if (path === '/echo') return json(res, 200, { method: req.method, body, contentType: req.headers['content-type'] ?? null });
      if (path === '/away') return (res.writeHead(302, { location: `${other.url}/x` }), res.end());
      if (path === '/loop') return (res.writeHead(302, { location: '/loop' }), res.end());
      if (path === '/gzip')
        return (
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }),
          res.end(gzipSync(JSON.stringify({ packed: 'gzip' })))
        );
      if (path === '/br')
        return (
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'br' }),
          res.end(brotliCompressSync(JSON.stringify({ packed: 'br' })))
        );
      if (path === '/raw')
        return (res.writeHead(200, { 'content-type': 'application/vnd.github.raw' }), res.end(Buffer.from([0, 1, 2, 255])));
      if (path === '/empty') return (res.writeHead(204, { 'content-encoding': 'gzip' }), res.end());
      if (path === '/missing') return json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com' });
      if (path === '/hang') return; // never answers
      if (path === '/headers')
        return (res.setHeader('x-many', ['a', 'b']), json(res, 200, {}, { link: '<https://x/?page=2>; rel="next"' }));
      return json(res, 500, { message: `no route ${path}` });
    });
  });
  afterAll(() => {
    main.server.closeAllConnections();
    main.server.close();
    other.server.close();
  });

  it('follows a redirect as fetch does and reports the final URL', async () => {
    const res = await httpFetch(`${main.url}/moved`);
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${main.url}/repos/o/renamed`);
    expect(await res.json()).toEqual({ full_name: 'o/renamed' });
  });

  it('turns a POST redirected by 302 into a GET without its body, and keeps it through a 307', async () => {
    const headers = { 'content-type': 'application/json' };
    const by302 = await (await httpFetch(`${main.url}/post-302`, { method: 'POST', body: '{"a":1}', headers })).json();
    expect(by302).toEqual({ method: 'GET', body: '', contentType: null });
    const by307 = await (await httpFetch(`${main.url}/post-307`, { method: 'POST', body: '{"a":1}', headers })).json();
    expect(by307).toEqual({ method: 'POST', body: '{"a":1}', contentType: 'application/json' });
  });

  it('drops the Authorization header when a redirect leaves the origin', async () => {
    const res = await httpFetch(`${main.url}/away`, { headers: { authorization: 'token secret-token' } });
    expect(await res.json()).toEqual({ where: 'other', auth: null });
  });

  it('gives up on a redirect loop as fetch does', async () => {
    await expect(httpFetch(`${main.url}/loop`)).rejects.toThrow(/fetch failed/);
  });

  it('decodes gzip and brotli answers, asks for them, and hands raw bytes over untouched', async () => {
    expect(await (await httpFetch(`${main.url}/gzip`)).json()).toEqual({ packed: 'gzip' });
    expect(await (await httpFetch(`${main.url}/br`)).json()).toEqual({ packed: 'br' });
    expect(main.seen.at(-1)!.headers['accept-encoding']).toBe('gzip, deflate, br');
    expect(Buffer.from(await (await httpFetch(`${main.url}/raw`)).arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
    const chunks: Buffer[] = [];
    for await (const chunk of (await httpFetch(`${main.url}/raw`)).body as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('answers a 204 with an empty body, and keeps repeated headers', async () => {
    const empty = await httpFetch(`${main.url}/empty`);
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
    const res = await httpFetch(`${main.url}/headers`);
    expect(res.headers.get('x-many')).toBe('a, b');
    expect(res.headers.get('link')).toContain('rel="next"');
  });

  it('fails as fetch does: a refused connection is "fetch failed" with its cause, an abort an AbortError', async () => {
    const closed = await listen(() => {});
    const url = closed.url;
    await new Promise((resolve) => closed.server.close(resolve));
    const refused = await httpFetch(`${url}/x`).catch((error: unknown) => error as TypeError);
    expect(refused).toBeInstanceOf(TypeError);
    expect((refused as TypeError).message).toBe('fetch failed');
    expect(((refused as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    const controller = new AbortController();
    const pending = httpFetch(`${main.url}/hang`, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it("serves Octokit: parsed JSON, headers, a 404 as a RequestError with GitHub's message", async () => {
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const octokit = new Octokit({ baseUrl: main.url, log: quiet, request: { fetch: httpFetch } });
    const { data, url } = await octokit.request('GET /moved');
    expect(data).toEqual({ full_name: 'o/renamed' });
    expect(url).toBe(`${main.url}/repos/o/renamed`);
    await expect(octokit.request('GET /missing')).rejects.toMatchObject({ status: 404, message: expect.stringContaining('Not Found') });
    const { headers } = await octokit.request('GET /headers');
    expect(headers.link).toContain('rel="next"');
  });
});
