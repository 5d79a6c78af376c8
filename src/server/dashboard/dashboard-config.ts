import { positiveInt as positive, type EnvSection } from '../../core/env-section.js';

/** The variables the dashboard's section reads (docs/configuration.md). */
export const DASHBOARD_ENV = [
  'NEEVSCAN_PUBLIC_URL',
  'NEEVSCAN_COOKIE_SECURE',
  'NEEVSCAN_SESSION_IDLE_SECONDS',
  'NEEVSCAN_SESSION_MAX_SECONDS',
  'NEEVSCAN_LOGIN_RATE_LIMIT',
  'NEEVSCAN_DASHBOARD_POLL_SECONDS',
] as const;

/**
 * The dashboard's part of the configuration (docs/configuration.md, "Alert review dashboard"), read
 * from the environment by readConfig, parsed here. Injectable: tests pass their own `env`.
 */
export interface DashboardConfig {
  /** NEEVSCAN_PUBLIC_URL's origin: where browsers reach the dashboard. Sign-in and every form must come from it. Unset: the request's own Host. */
  publicOrigin: string | null;
  /**
   * NEEVSCAN_COOKIE_SECURE (1/0): mark the session cookie Secure (and name it `__Host-…`). Default: when
   * NEEVSCAN_PUBLIC_URL is https; with neither set, `auto`: Secure when the request came over https, which behind a
   * TLS-terminating proxy is its `X-Forwarded-Proto` if NEEVSCAN_TRUST_PROXY trusts it.
   */
  secureCookie: boolean | 'auto';
  /** NEEVSCAN_SESSION_IDLE_SECONDS: a session unused this long ends. */
  sessionIdleSeconds: number;
  /** NEEVSCAN_SESSION_MAX_SECONDS: a session ends this long after sign-in, however busy. */
  sessionMaxSeconds: number;
  /** NEEVSCAN_LOGIN_RATE_LIMIT, `attempts/seconds`: sign-in attempts per client address per window. */
  loginRateLimit: { max: number; windowSeconds: number };
  /** NEEVSCAN_DASHBOARD_POLL_SECONDS: how often an open list asks for new alerts. */
  pollSeconds: number;
}

export function readDashboardConfig(env: EnvSection<typeof DASHBOARD_ENV>): DashboardConfig {
  let publicOrigin: string | null = null;
  if (env.NEEVSCAN_PUBLIC_URL) {
    let url: URL;
    try {
      url = new URL(env.NEEVSCAN_PUBLIC_URL);
    } catch {
      throw new Error(`NEEVSCAN_PUBLIC_URL must be a URL such as https://neevscan.example.com, not "${env.NEEVSCAN_PUBLIC_URL}"`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('NEEVSCAN_PUBLIC_URL must be an http(s) URL');
    publicOrigin = url.origin;
  }
  const secure = env.NEEVSCAN_COOKIE_SECURE;
  if (secure !== undefined && secure !== '' && secure !== '1' && secure !== '0')
    throw new Error(`NEEVSCAN_COOKIE_SECURE must be 1 or 0, not "${secure}"`);
  const [max, window] = (env.NEEVSCAN_LOGIN_RATE_LIMIT || '10/300').split('/');
  return {
    publicOrigin,
    secureCookie: secure === '1' ? true : secure === '0' ? false : publicOrigin === null ? 'auto' : publicOrigin.startsWith('https:'),
    sessionIdleSeconds: positive(env.NEEVSCAN_SESSION_IDLE_SECONDS, 2 * 3600, 'NEEVSCAN_SESSION_IDLE_SECONDS'),
    sessionMaxSeconds: positive(env.NEEVSCAN_SESSION_MAX_SECONDS, 12 * 3600, 'NEEVSCAN_SESSION_MAX_SECONDS'),
    loginRateLimit: {
      max: positive(max, 10, 'NEEVSCAN_LOGIN_RATE_LIMIT attempts'),
      windowSeconds: positive(window, 300, 'NEEVSCAN_LOGIN_RATE_LIMIT seconds'),
    },
    pollSeconds: positive(env.NEEVSCAN_DASHBOARD_POLL_SECONDS, 5, 'NEEVSCAN_DASHBOARD_POLL_SECONDS'),
  };
}
