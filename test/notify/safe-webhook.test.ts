import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/notify/delivery-error.js';
import { safePost, vetWebhookUrl } from '../../src/notify/safe-webhook.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver();
  cleanups.push(() => r.close());
  return r;
}

async function refusal(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

/** A resolver that never asks DNS: the name resolves to what the test says. */
const resolvesTo =
  (...addresses: string[]) =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('the SSRF guard on owner webhooks (no private addresses unless allowed)', () => {
  // None of these is ever connected to: the guard refuses before any socket is opened.
  it.each([
    'https://127.0.0.1/hook',
    'https://10.0.0.8/hook',
    'https://192.168.1.20/hook',
    'https://172.20.0.1/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]/hook',
    'https://[fc00::1]/hook',
    'https://[fd00:ec2::254]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://[::ffff:a9fe:a9fe]/hook',
    'https://100.100.100.200/hook',
  ])('refuses %s, permanently', async (url) => {
    const error = await refusal(vetWebhookUrl(url, { allowPrivate: false }));
    expect(error).toMatchObject({ code: 'refused_address', permanent: true });
  });

  it('refuses a host name that resolves to loopback (localhost, through the real resolver)', async () => {
    expect(await refusal(vetWebhookUrl('https://localhost:8443/hook', { allowPrivate: false }))).toMatchObject({
      code: 'refused_address',
      permanent: true,
    });
  });

  it('refuses a name when any one of its addresses is internal (a mixed record set)', async () => {
    const error = await refusal(
      vetWebhookUrl('https://hooks.example.test/x', { allowPrivate: false, resolve: resolvesTo('93.184.216.34', '10.1.2.3') }),
    );
    expect(error.code).toBe('refused_address');
  });

  it('accepts a name whose addresses are all public, and pins the first', async () => {
    const target = await vetWebhookUrl('https://hooks.example.test/x', {
      allowPrivate: false,
      resolve: resolvesTo('93.184.216.34', '2606:2800:220:1::1'),
    });
    expect(target).toMatchObject({ hostname: 'hooks.example.test', address: '93.184.216.34', family: 4 });
  });

  it('refuses plain http, and URLs carrying credentials, unless development mode allows http', async () => {
    expect(
      await refusal(vetWebhookUrl('http://hooks.example.test/x', { allowPrivate: false, resolve: resolvesTo('93.184.216.34') })),
    ).toMatchObject({ code: 'insecure_scheme', permanent: true });
    expect(
      await refusal(vetWebhookUrl('https://u:p@hooks.example.test/x', { allowPrivate: false, resolve: resolvesTo('93.184.216.34') })),
    ).toMatchObject({ code: 'credentials_in_url' });
    expect(await refusal(vetWebhookUrl('ftp://hooks.example.test/x', { allowPrivate: true }))).toMatchObject({ code: 'insecure_scheme' });
    expect(await refusal(vetWebhookUrl('not a url', { allowPrivate: true }))).toMatchObject({ code: 'bad_url' });
  });

  it('a real loopback receiver is refused without NEEVSCAN_ALLOW_PRIVATE_WEBHOOKS, and never receives anything', async () => {
    const r = await receiver();
    const https = r.url.replace('http:', 'https:');
    expect(await refusal(safePost(`${r.url}/hook`, '{}', {}, { allowPrivate: false }))).toMatchObject({ code: 'insecure_scheme' });
    expect(await refusal(safePost(`${https}/hook`, '{}', {}, { allowPrivate: false }))).toMatchObject({ code: 'refused_address' });
    expect(r.requests).toHaveLength(0);
  });

  it('with private webhooks allowed, posts the body and headers and resolves on 2xx', async () => {
    const r = await receiver();
    const result = await safePost(`${r.url}/hook?x=1`, '{"a":1}', { 'x-test': 'yes' }, { allowPrivate: true, userAgent: 'neevscan/test' });
    expect(result).toMatchObject({ status: 204, truncated: false });
    expect(r.requests).toEqual([expect.objectContaining({ path: '/hook?x=1', method: 'POST', body: '{"a":1}' })]);
    expect(r.requests[0]!.headers).toMatchObject({ 'x-test': 'yes', 'content-type': 'application/json', 'user-agent': 'neevscan/test' });
  });

  it('connects to the vetted address, not to what DNS says later (pinned lookup; Host keeps the name)', async () => {
    const r = await receiver();
    const port = new URL(r.url).port;
    await safePost(`http://hooks.example.test:${port}/pinned`, '{}', {}, { allowPrivate: true, resolve: resolvesTo('127.0.0.1') });
    expect(r.requests).toEqual([expect.objectContaining({ path: '/pinned' })]);
    expect(r.requests[0]!.headers.host).toBe(`hooks.example.test:${port}`);
  });

  it('does not follow redirects: a 3xx is a permanent failure and the target is never called', async () => {
    const r = await receiver();
    r.handle('/redirect', (res) => res.writeHead(302, { location: `${r.url}/elsewhere` }).end());
    expect(await refusal(safePost(`${r.url}/redirect`, '{}', {}, { allowPrivate: true }))).toMatchObject({
      code: 'redirect_refused',
      permanent: true,
    });
    expect(r.requests.map((q) => q.path)).toEqual(['/redirect']);
  });

  it('classifies answers: 5xx, 408 and 429 are retried, other 4xx are permanent', async () => {
    const r = await receiver();
    r.script('/s', [500, 503, 429, 408, 400, 404, 410]);
    const codes: Array<[string, boolean]> = [];
    for (let i = 0; i < 7; i++) {
      const e = await refusal(safePost(`${r.url}/s`, '{}', {}, { allowPrivate: true }));
      codes.push([e.code, e.permanent]);
    }
    expect(codes).toEqual([
      ['http_500', false],
      ['http_503', false],
      ['http_429', false],
      ['http_408', false],
      ['http_400', true],
      ['http_404', true],
      ['http_410', true],
    ]);
  });

  it('reads at most maxResponseBytes of an endless answer, then drops the connection', async () => {
    const r = await receiver();
    let written = 0;
    let closed = false;
    r.handle('/huge', (res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 120);
      const pump = () => {
        while (!closed && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (closed = true));
      pump();
    });
    const started = Date.now();
    const result = await safePost(`${r.url}/huge`, '{}', {}, { allowPrivate: true, maxResponseBytes: 64 * 1024 });
    expect(result).toMatchObject({ status: 200, bytesRead: 64 * 1024, truncated: true });
    expect(Date.now() - started).toBeLessThan(2000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(true);
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('gives up on a receiver that does not answer in time (timeout, retried later)', async () => {
    const r = await receiver();
    r.handle('/slow', () => {
      /* never answers */
    });
    const started = Date.now();
    expect(await refusal(safePost(`${r.url}/slow`, '{}', {}, { allowPrivate: true, timeoutMs: 300 }))).toMatchObject({
      code: 'timeout',
      permanent: false,
    });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a status already in counts even when the body trickles past the deadline', async () => {
    const r = await receiver();
    r.handle('/trickle', (res) => {
      res.writeHead(200);
      res.write('a');
    });
    const result = await safePost(`${r.url}/trickle`, '{}', {}, { allowPrivate: true, timeoutMs: 300 });
    expect(result).toMatchObject({ status: 200, truncated: true });
  });

  it('a closed port is a retryable connection failure', async () => {
    const r = await receiver();
    const url = r.url;
    await r.close();
    cleanups.length = 0;
    expect(await refusal(safePost(`${url}/gone`, '{}', {}, { allowPrivate: true }))).toMatchObject({
      code: 'connect_refused',
      permanent: false,
    });
  });
});
