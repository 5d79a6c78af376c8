/** Keys made at test time: the App's RSA key and the ECDSA keys GitHub signs secret-scanning alerts with. */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface RsaKeyPair {
  /** `-----BEGIN RSA PRIVATE KEY-----`, the format GitHub hands out for Apps. */
  pkcs1: string;
  /** `-----BEGIN PRIVATE KEY-----`. */
  pkcs8: string;
  publicKeyPem: string;
}

export function makeRsaKeyPair(): RsaKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    pkcs1: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** One entry of GET /meta/public_keys/secret_scanning. */
export interface SecretScanningPublicKey {
  key_identifier: string;
  key: string;
  is_current: boolean;
}

export interface SecretScanningKey {
  publicKey: SecretScanningPublicKey;
  privateKey: KeyObject;
}

/** An ECDSA P-256 key as GitHub uses for partner alerts; the identifier is a hex SHA-256, like GitHub's. */
export function makeSecretScanningKey(isCurrent = true): SecretScanningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    publicKey: {
      key_identifier: createHash('sha256').update(der).digest('hex'),
      key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      is_current: isCurrent,
    },
    privateKey,
  };
}

/** The headers GitHub sends with a partner alert: the key's identifier and a base64 DER ECDSA-SHA256 signature of the raw body. */
export function signSecretScanningPayload(body: string, key: SecretScanningKey): Record<string, string> {
  return {
    'Github-Public-Key-Identifier': key.publicKey.key_identifier,
    'Github-Public-Key-Signature': sign('sha256', Buffer.from(body), key.privateKey).toString('base64'),
  };
}
