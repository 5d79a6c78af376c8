/** Verifies a GitHub App JWT the way GitHub states the rules (docs: generating-a-json-web-token-jwt-for-a-github-app). */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** GitHub refuses an `exp` more than 10 minutes ahead. */
export const MAX_JWT_LIFETIME_SECONDS = 600;

// GitHub's messages for these cases; @octokit/auth-app matches on the two claim messages to correct clock skew.
export const JWT_MESSAGES = {
  undecodable: 'A JSON web token could not be decoded',
  expTooFar: "'Expiration time' claim ('exp') is too far in the future",
  expired: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  iatFuture: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
} as const;

export type JwtResult = { ok: true; appId: string } | { ok: false; message: string };

export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
}

/** RS256 signature by `publicKey`, `iss` equal to the App ID, `iat` not in the future, `exp` in the future but at most 10 minutes away. */
export function verifyAppJwt(token: string, publicKey: KeyObject | string, appId: string | number, nowSeconds: number): JwtResult {
  const [head = '', body = '', signature = ''] = token.split('.');
  let header: { alg?: unknown };
  let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
  try {
    header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, message: JWT_MESSAGES.undecodable };
  }
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const signed = header.alg === 'RS256' && verify('sha256', Buffer.from(`${head}.${body}`), key, Buffer.from(signature, 'base64url'));
  if (!signed || String(claims.iss) !== String(appId)) return { ok: false, message: JWT_MESSAGES.undecodable };
  if (typeof claims.iat !== 'number' || !Number.isInteger(claims.iat) || claims.iat > nowSeconds)
    return { ok: false, message: JWT_MESSAGES.iatFuture };
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return { ok: false, message: JWT_MESSAGES.expired };
  if (claims.exp > nowSeconds + MAX_JWT_LIFETIME_SECONDS) return { ok: false, message: JWT_MESSAGES.expTooFar };
  return { ok: true, appId: String(appId) };
}
