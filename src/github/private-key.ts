/** GITHUB_APP_PRIVATE_KEY is PEM text or a path to a PEM file (docs/configuration.md, "GitHub App"); one reader decides which. */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { NeevscanError } from '../errors.js';

/**
 * The App's private key as PKCS#8 PEM, from PEM text (PKCS#1 or PKCS#8, also with `\n` written as
 * two characters, as env files often hold it) or from the path of a PEM file. Errors never quote the key.
 */
export function readPrivateKey(value: string): string {
  let pem = value;
  if (!value.includes('-----BEGIN')) {
    try {
      pem = readFileSync(value.trim(), 'utf8');
    } catch (error) {
      throw new NeevscanError(
        `cannot read the GitHub App private key file: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
        'bad-private-key',
      );
    }
  }
  if (!pem.includes('\n') && pem.includes('\\n')) pem = pem.replace(/\\n/g, '\n');
  try {
    // PKCS#8 is the one format every JWT signer (WebCrypto included) takes.
    return createPrivateKey(pem).export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch {
    throw new NeevscanError('the GitHub App private key is not a readable PEM private key (PKCS#1 or PKCS#8)', 'bad-private-key');
  }
}
