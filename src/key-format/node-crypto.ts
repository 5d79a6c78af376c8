import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';

let crypto: typeof Crypto | undefined;

/**
 * `node:crypto`, loaded on first use. The scanner hashes only what it finds (a key's SHA-256, a finding's
 * fingerprint), so a clean pre-commit scan never needs it, and loading it took ~4 ms of that scan's start-up.
 */
export const nodeCrypto = (): typeof Crypto => (crypto ??= createRequire(import.meta.url)('node:crypto') as typeof Crypto);
