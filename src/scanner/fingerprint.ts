import { nodeCrypto } from '../key-format/node-crypto.js';

/**
 * A stable name for one secret at one place (commit, file, line), for ignore
 * lists and SARIF's partialFingerprints. It holds the secret's sha256 only
 * through another hash, so it reveals nothing of the secret.
 */
export function fingerprintOf(place: { ruleId: string; file: string; line: number; commit: string | null; secretSha256: string }): string {
  return nodeCrypto()
    .createHash('sha256')
    .update([place.commit ?? '', place.file, place.ruleId, String(place.line), place.secretSha256].join('\0'))
    .digest('hex')
    .slice(0, 32);
}
