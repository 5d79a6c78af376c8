/**
 * The `fetch` the GitHub clients hand Octokit: node:http(s) over keep-alive agents instead of Node's global fetch.
 *
 * Why: on Node 20 a request through the global fetch (undici's WHATWG layer: Request, Headers, web streams) costs
 * about 1 ms more CPU than the same request through node:http (bench/github-request.mjs), and the push pipeline
 * makes one or two GitHub requests a push; at 300 pushes/s that was a third of a core. Only the part of fetch that
 * Octokit's fetch wrapper uses is provided: the method, string or byte body, headers and signal of a request; the
 * status, final URL, headers, `text()`, `arrayBuffer()` and `body` (an async iterable of bytes) of the answer.
 * Everything else behaves as fetch does: redirects are followed (at most 20; 301/302 of a POST and 303 become a GET;
 * the Authorization header is dropped when a redirect leaves the origin), gzip, deflate and brotli answers are
 * decoded, a network failure is a TypeError("fetch failed") with the cause, an aborted signal an AbortError, and a
 * server silent for 300 s (undici's header and body timeouts) fails the request.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** undici's default headersTimeout and bodyTimeout: how long fetch waits on a silent server. */
const SILENCE_MS = 300_000;
const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256 });

/** The answer, as far as Octokit reads a fetch Response. */
class HttpResponse {
  readonly headers: Headers;
  readonly ok: boolean;
  readonly redirected: boolean;
  private read: Promise<Buffer> | undefined;

  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly url: string,
    headers: IncomingMessage['headers'],
    private readonly stream: Readable,
    redirected: boolean,
  ) {
    this.headers = toHeaders(headers);
    this.ok = status >= 200 && status < 300;
    this.redirected = redirected;
  }

  /** The bytes as they arrive (decoded): what Octokit hands back with `parseSuccessResponseBody: false`. */
  get body(): AsyncIterable<Uint8Array> {
    return this.stream;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.bytes();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  /** An answer without a body (204, 205, 304, HEAD): its socket goes back to the pool at once. */
  discard(): this {
    this.stream.resume();
    this.read = Promise.resolve(Buffer.alloc(0));
    return this;
  }

  private bytes(): Promise<Buffer> {
    this.read ??= new Promise<Buffer>((resolve, reject) => {
      if (this.stream.errored) return reject(fetchFailed(this.stream.errored));
      const chunks: Buffer[] = [];
      this.stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      this.stream.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
      this.stream.once('error', (error) => reject(fetchFailed(error)));
    });
    return this.read;
  }
}

/** fetch's Headers, from node's (already lowercased; repeated headers joined as fetch joins them). */
function toHeaders(raw: IncomingMessage['headers']): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}

function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

function decoded(res: IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : null;
  if (decoder === null) return res;
  res.on('error', (error) => decoder.destroy(error));
  return res.pipe(decoder);
}

type Body = string | Uint8Array | undefined;

interface Hop {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: Body;
}

function send(hop: Hop, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const https = hop.url.protocol === 'https:';
    const headers: Record<string, string | number> = { ...hop.headers };
    if (hop.body !== undefined && headers['content-length'] === undefined) headers['content-length'] = Buffer.byteLength(hop.body);
    const req = (https ? httpsRequest : httpRequest)(hop.url, { method: hop.method, headers, agent: https ? httpsAgent : httpAgent });
    const onAbort = () => req.destroy(abortError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    req.setTimeout(SILENCE_MS, () => req.destroy(new Error(`no answer from ${hop.url.host} in ${SILENCE_MS / 1000} s`)));
    req.once('response', (res) => {
      signal?.removeEventListener('abort', onAbort);
      // The silence limit holds for the body too; an abort after the headers ends the body with it.
      res.setTimeout(SILENCE_MS, () => res.destroy(new Error(`the answer from ${hop.url.host} stopped for ${SILENCE_MS / 1000} s`)));
      if (signal) {
        const abortBody = () => res.destroy(abortError(signal));
        signal.addEventListener('abort', abortBody, { once: true });
        res.once('close', () => signal.removeEventListener('abort', abortBody));
      }
      resolve(res);
    });
    req.once('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error.name === 'AbortError' ? error : fetchFailed(error));
    });
    req.end(hop.body);
  });
}

function lowerCased(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of new Headers(headers ?? {})) out[name] = value;
  return out;
}

/** The next hop of a redirect, as fetch makes it; null when the answer is not a redirect to follow. */
function redirectOf(hop: Hop, res: IncomingMessage): Hop | null {
  const location = res.headers.location;
  if (!REDIRECTS.has(res.statusCode ?? 0) || !location) return null;
  const url = new URL(location, hop.url);
  const status = res.statusCode!;
  const toGet = status === 303 ? hop.method !== 'HEAD' : (status === 301 || status === 302) && hop.method === 'POST';
  const headers = { ...hop.headers };
  if (toGet)
    for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) delete headers[name];
  if (url.origin !== hop.url.origin) delete headers.authorization;
  return { url, method: toGet ? 'GET' : hop.method, headers, body: toGet ? undefined : hop.body };
}

export const httpFetch: typeof fetch = async (input, init = {}) => {
  if (typeof input !== 'string' && !(input instanceof URL)) throw new TypeError('httpFetch takes a URL, not a Request');
  const body = init.body ?? undefined;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array))
    throw new TypeError('httpFetch sends a string or bytes as a body');
  const headers = lowerCased(init.headers);
  headers['accept-encoding'] ??= 'gzip, deflate, br';
  let hop: Hop = { url: new URL(input), method: (init.method ?? 'GET').toUpperCase(), headers, body };
  const signal = init.signal ?? undefined;
  for (let redirects = 0; ; redirects++) {
    const res = await send(hop, signal);
    const next = init.redirect === 'manual' ? null : redirectOf(hop, res);
    if (next !== null) {
      res.resume();
      if (init.redirect === 'error') throw fetchFailed(new Error(`unexpected redirect to ${next.url.href}`));
      if (redirects >= MAX_REDIRECTS) throw fetchFailed(new Error('redirect count exceeded'));
      hop = next;
      continue;
    }
    const status = res.statusCode ?? 0;
    const empty = status === 204 || status === 205 || status === 304 || hop.method === 'HEAD';
    const stream = empty ? res : decoded(res);
    // A failure of a body nobody reads must not be an uncaught 'error' event; a reader sees it all the same.
    stream.on('error', () => {});
    const response = new HttpResponse(status, res.statusMessage ?? '', hop.url.href, res.headers, stream, redirects > 0);
    return (empty ? response.discard() : response) as unknown as Response;
  }
};
