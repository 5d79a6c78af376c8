/**
 * The one place a secret becomes printable. NeevCloud keys become the key
 * store's hint, `neev_…` plus the last four characters (docs/KEY_FORMAT.md); other
 * rules' secrets keep at most a fifth of their length at each end.
 */
export function redact(secret: string): string {
  const keepStart = Math.min(5, Math.floor(secret.length / 5));
  const keepEnd = Math.min(4, Math.floor(secret.length / 5));
  return `${secret.slice(0, keepStart)}…${keepEnd > 0 ? secret.slice(-keepEnd) : ''}`;
}
