/** Start-up warnings about how the HTTP surface is configured. */

/** Values the docs and common examples show for NEEVSCAN_ADMIN_TOKEN: anyone who has read them would try these first. */
const EXAMPLE_VALUES = new Set(['change-me', 'changeme', 'admin', 'secret', 'password', 'token', 'test', '…', '...']);
/** Shorter than this, an operator-chosen token may be guessable; a minted token (`nvs_` and 40 characters) is longer. */
export const ADMIN_TOKEN_MIN_LENGTH = 32;

/**
 * What is wrong with NEEVSCAN_ADMIN_TOKEN, said at start, or null. Wrong
 * guesses are throttled per address, but an address is cheap: only the
 * token's own length makes guessing it hopeless.
 */
export function adminTokenWarning(token: string | undefined): string | null {
  if (token === undefined) return null;
  if (EXAMPLE_VALUES.has(token.trim().toLowerCase())) {
    return 'neevscan: NEEVSCAN_ADMIN_TOKEN is an example value; set a random one (openssl rand -base64 32) before this is reachable by anyone';
  }
  if (token.length < ADMIN_TOKEN_MIN_LENGTH) {
    return `neevscan: NEEVSCAN_ADMIN_TOKEN is shorter than ${ADMIN_TOKEN_MIN_LENGTH} characters; set a random one (openssl rand -base64 32)`;
  }
  return null;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Said at start when the dashboard listens beyond loopback but cannot know it
 * is reached over https (no NEEVSCAN_PUBLIC_URL, NEEVSCAN_COOKIE_SECURE or
 * trusted proxy): its session cookie then goes out without `Secure`.
 */
export function insecureCookieWarning(host: string, secureCookie: boolean | 'auto', trustProxy: unknown): string | null {
  if (secureCookie !== 'auto' || trustProxy !== false || LOOPBACK.has(host)) return null;
  return 'neevscan: the dashboard session cookie is Secure only over https, and nothing says this is reached over https: set NEEVSCAN_PUBLIC_URL=https://…, or NEEVSCAN_TRUST_PROXY to the TLS proxy in front (its X-Forwarded-Proto is then believed)';
}
