/** Values the README and common examples show for NEEVSCAN_ADMIN_TOKEN: anyone who has read them would try these first. */
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
