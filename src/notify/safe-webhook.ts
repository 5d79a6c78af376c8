import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { forbiddenAddressReason } from './address-policy.js';
import { DeliveryError } from './delivery-error.js';

/**
 * POSTs to a URL someone else chose (an owner's webhook) without letting it
 * reach into our network: https only; every address the name resolves to
 * must be public; the connection is made to the address that was checked
 * (a lookup pinned on the request, so a second DNS answer cannot swap in
 * 127.0.0.1 — DNS rebinding) and the socket's peer is checked again on
 * connect; redirects are not followed; one deadline covers DNS, connect, TLS
 * and the response; at most `maxResponseBytes` of the answer are read.
 * `allowPrivate` (NEEVSCAN_ALLOW_PRIVATE_WEBHOOKS=1, development and tests)
 * lifts the address and scheme rules, nothing else.
 * node:http directly, not fetch: fetch has no per-request lookup, so the
 * address checked and the address connected could differ.
 */

export interface SafePostOptions {
  allowPrivate: boolean;
  /** Whole request, DNS to last byte read. */
  timeoutMs?: number;
  /** The answer is read up to this, then the connection is dropped. */
  maxResponseBytes?: number;
  /** DNS, for tests; every address of the name. */
  resolve?: (hostname: string) => Promise<Array<{ address: string; family: number }>>;
  userAgent?: string;
}

export interface PostResult {
  status: number;
  /** Bytes of the answer read (at most maxResponseBytes). */
  bytesRead: number;
  /** The answer was longer, or slower, than we were willing to read. */
  truncated: boolean;
}

export interface VettedTarget {
  url: URL;
  /** The host name as sent in Host and SNI (no brackets for IPv6). */
  hostname: string;
  /** The address that was checked, and the only one connected to. */
  address: string;
  family: 4 | 6;
}

export const WEBHOOK_TIMEOUT_MS = 5000;
export const WEBHOOK_MAX_RESPONSE_BYTES = 64 * 1024;

const defaultResolve = (hostname: string) => dnsLookup(hostname, { all: true, verbatim: true });

/** Checks the URL and resolves its host; a DeliveryError (permanent for a refused URL, not for DNS trouble) when it may not be called. */
export async function vetWebhookUrl(raw: string, options: Pick<SafePostOptions, 'allowPrivate' | 'resolve'>): Promise<VettedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DeliveryError('bad_url', true);
  }
  if (url.protocol !== 'https:' && !(options.allowPrivate && url.protocol === 'http:')) throw new DeliveryError('insecure_scheme', true);
  if (url.username || url.password) throw new DeliveryError('credentials_in_url', true);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (hostname === '') throw new DeliveryError('bad_url', true);

  let addresses: Array<{ address: string; family: number }>;
  if (isIP(hostname)) addresses = [{ address: hostname, family: isIP(hostname) }];
  else {
    try {
      addresses = await (options.resolve ?? defaultResolve)(hostname);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new DeliveryError(code === 'ENOTFOUND' || code === 'ENODATA' ? 'dns_not_found' : 'dns_failed', false, { cause: error });
    }
    if (addresses.length === 0) throw new DeliveryError('dns_not_found', false);
  }
  // One bad address refuses the name: a record set mixing public and internal addresses is an attack or a mistake.
  if (!options.allowPrivate && addresses.some((a) => forbiddenAddressReason(a.address) !== null))
    throw new DeliveryError('refused_address', true);
  const chosen = addresses[0]!;
  return { url, hostname, address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
}

/** POSTs `body`; resolves for a 2xx answer, throws DeliveryError for anything else (see classifyStatus). */
export async function safePost(raw: string, body: string, headers: Record<string, string>, options: SafePostOptions): Promise<PostResult> {
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const deadline = deadlineAfter(timeoutMs);
  try {
    const target = await Promise.race([vetWebhookUrl(raw, options), deadline.expired]);
    const result = await send(target, body, headers, options, deadline);
    const failure = classifyStatus(result.status);
    if (failure) throw failure;
    return result;
  } finally {
    deadline.clear();
  }
}

/** 2xx: delivered. 3xx: refused (redirects are not followed). 408, 429, 5xx: retry. Other 4xx: the receiver refuses it for good. */
export function classifyStatus(status: number): DeliveryError | null {
  if (status >= 200 && status < 300) return null;
  if (status >= 300 && status < 400) return new DeliveryError('redirect_refused', true);
  if (status === 408 || status === 429 || status >= 500) return new DeliveryError(`http_${status}`, false);
  return new DeliveryError(`http_${status}`, true);
}

interface Deadline {
  expired: Promise<never>;
  onExpire(handler: () => void): void;
  clear(): void;
}

function deadlineAfter(ms: number): Deadline {
  let handler = () => {};
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      handler();
      reject(new DeliveryError('timeout', false));
    }, ms);
  });
  expired.catch(() => {});
  return { expired, onExpire: (h) => void (handler = h), clear: () => clearTimeout(timer) };
}

function send(
  target: VettedTarget,
  body: string,
  headers: Record<string, string>,
  options: SafePostOptions,
  deadline: Deadline,
): Promise<PostResult> {
  const maxBytes = options.maxResponseBytes ?? WEBHOOK_MAX_RESPONSE_BYTES;
  const payload = Buffer.from(body);
  // The pinned lookup: whatever asks, the answer is the address vetted above.
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all)
      (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [
        { address: target.address, family: target.family },
      ]);
    else callback(null, target.address, target.family);
  };
  const transport = target.url.protocol === 'https:' ? https : http;

  return new Promise<PostResult>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: { ok: PostResult } | { error: DeliveryError }) => {
      if (settled) return;
      settled = true;
      if ('ok' in outcome) resolve(outcome.ok);
      else reject(outcome.error);
    };
    let status = 0;
    let bytesRead = 0;

    const request = transport.request({
      protocol: target.url.protocol,
      host: target.hostname,
      port: target.url.port || undefined,
      path: `${target.url.pathname}${target.url.search}`,
      method: 'POST',
      agent: false,
      lookup: pinned,
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(payload.length),
        'user-agent': options.userAgent ?? 'neevscan',
        connection: 'close',
      },
    });
    request.on('socket', (socket: Socket) => {
      socket.once('connect', () => {
        // The peer, as the kernel sees it: the last word on where this request went.
        const peer = socket.remoteAddress ?? '';
        if (!options.allowPrivate && forbiddenAddressReason(peer) !== null) request.destroy(new DeliveryError('refused_address', true));
      });
    });
    request.on('response', (response) => {
      status = response.statusCode ?? 0;
      response.on('data', (chunk: Buffer) => {
        bytesRead += chunk.length;
        if (bytesRead >= maxBytes) {
          bytesRead = Math.min(bytesRead, maxBytes);
          response.destroy();
          finish({ ok: { status, bytesRead, truncated: true } });
        }
      });
      response.on('end', () => finish({ ok: { status, bytesRead, truncated: false } }));
      response.on('error', () => finish({ ok: { status, bytesRead, truncated: true } }));
      response.on('close', () => finish({ ok: { status, bytesRead, truncated: !response.complete } }));
    });
    request.on('error', (error) => finish({ error: networkError(error) }));
    deadline.onExpire(() => {
      // The status is what counts: once it is in, a slow body only stops being read.
      if (status) finish({ ok: { status, bytesRead, truncated: true } });
      else finish({ error: new DeliveryError('timeout', false) });
      request.destroy();
    });
    request.end(payload);
  });
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

/** Network failures are worth a retry; only our own refusals (thrown as DeliveryError) are not. */
function networkError(error: Error): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code === 'ECONNREFUSED') return new DeliveryError('connect_refused', false, { cause: error });
  if (code === 'ECONNRESET' || code === 'EPIPE') return new DeliveryError('connection_reset', false, { cause: error });
  if (code === 'ETIMEDOUT') return new DeliveryError('timeout', false, { cause: error });
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new DeliveryError('unreachable', false, { cause: error });
  if (TLS_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))
    return new DeliveryError('tls_failed', false, { cause: error });
  return new DeliveryError('network_error', false, { cause: error });
}
