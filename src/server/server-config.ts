import { isIP } from 'node:net';
import { positiveInt, wholeNumber, type EnvSection } from '../core/env-section.js';

/** The variables the HTTP server's section reads (docs/configuration.md). */
export const SERVER_ENV = [
  'HOST',
  'PORT',
  'NEEVSCAN_ADMIN_TOKEN',
  'NEEVSCAN_ALLOW_PRIVATE_WEBHOOKS',
  'NEEVSCAN_DEFAULT_RATE_LIMIT',
  'NEEVSCAN_AUTH_FAILURE_LIMIT',
  'NEEVSCAN_TRUST_PROXY',
  'NEEVSCAN_API_BODY_LIMIT',
] as const;

export interface ServerConfig {
  host: string;
  port: number;
  adminToken: string | undefined;
  allowPrivateWebhooks: boolean;
  /** Default per-key rate limit: requests per window. */
  defaultRateLimit: { requests: number; windowSeconds: number };
  /** NEEVSCAN_AUTH_FAILURE_LIMIT, `failures/seconds`: wrong bearer tokens one client address may present per window before 429. */
  authFailureLimit: { max: number; windowSeconds: number };
  /**
   * NEEVSCAN_TRUST_PROXY: the reverse proxy whose X-Forwarded-For and X-Forwarded-Proto are believed, as a number of
   * hops or a comma-separated list of its addresses and CIDR ranges. Unset: none (the socket's address, plain http).
   */
  trustProxy: false | number | string[];
  /** Largest JSON body the API accepts, in bytes. */
  apiBodyLimit: number;
}

export function readServerConfig(env: EnvSection<typeof SERVER_ENV>): ServerConfig {
  const [requests, window] = (env.NEEVSCAN_DEFAULT_RATE_LIMIT ?? '600/60').split('/');
  const [failures, failureWindow] = (env.NEEVSCAN_AUTH_FAILURE_LIMIT || '20/300').split('/');
  return {
    host: env.HOST || '127.0.0.1',
    // 0: any free port, the one taken logged at start (how tests run many servers without racing for a port).
    port: wholeNumber(env.PORT, 3000, 'PORT'),
    adminToken: env.NEEVSCAN_ADMIN_TOKEN || undefined,
    allowPrivateWebhooks: env.NEEVSCAN_ALLOW_PRIVATE_WEBHOOKS === '1',
    defaultRateLimit: {
      requests: positiveInt(requests, 600, 'NEEVSCAN_DEFAULT_RATE_LIMIT requests'),
      windowSeconds: positiveInt(window, 60, 'NEEVSCAN_DEFAULT_RATE_LIMIT window'),
    },
    authFailureLimit: {
      max: positiveInt(failures, 20, 'NEEVSCAN_AUTH_FAILURE_LIMIT failures'),
      windowSeconds: positiveInt(failureWindow, 300, 'NEEVSCAN_AUTH_FAILURE_LIMIT seconds'),
    },
    trustProxy: trustProxy(env.NEEVSCAN_TRUST_PROXY),
    apiBodyLimit: positiveInt(env.NEEVSCAN_API_BODY_LIMIT, 64 * 1024, 'NEEVSCAN_API_BODY_LIMIT'),
  };
}

/** NEEVSCAN_TRUST_PROXY: a hop count, or addresses and CIDR ranges (never "everything": anyone could then claim any address). */
function trustProxy(value: string | undefined): ServerConfig['trustProxy'] {
  if (value === undefined || value.trim() === '') return false;
  if (/^\d+$/.test(value.trim())) return positiveInt(value.trim(), 1, 'NEEVSCAN_TRUST_PROXY');
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > maxBits))) {
      throw new Error(
        `NEEVSCAN_TRUST_PROXY must be a number of proxy hops or a comma-separated list of proxy addresses and CIDR ranges, not "${value}"`,
      );
    }
  }
  return entries;
}
