/**
 * The GitHub App's JWT, signed once and reused while it is valid, for
 * @octokit/auth-app's `createJwt`. Left to itself, auth-app signs a new JWT
 * (parsing the PEM each time) for every installation token it asks for; a
 * burst of new installations, or a restart with hundreds of them pushing,
 * then costs an RSA signature per installation. GitHub accepts one JWT for
 * any number of requests until its `exp`.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';

/** GitHub refuses an `exp` more than 10 minutes after `iat`. */
const LIFETIME_SECONDS = 9 * 60;
/** GitHub's advice: `iat` 60 s in the past, against clock drift. */
const BACKDATE_SECONDS = 60;
/** A JWT with less than this left is signed anew, so none expires in flight. */
const RENEW_BEFORE_SECONDS = 120;

export interface AppJwt {
  jwt: string;
  /** ISO 8601, as auth-app reports it. */
  expiresAt: string;
}

/** What auth-app's `createJwt` option takes: `timeDifference` is its correction for a server clock that differs from ours. */
export type CreateAppJwt = (appId: string | number, timeDifference?: number) => Promise<AppJwt>;

export function appJwtSigner(privateKeyPem: string, clock: () => number = Date.now): CreateAppJwt {
  const key: KeyObject = createPrivateKey(privateKeyPem);
  // The JWT of one (app, clock correction): auth-app retries with a correction when GitHub says our clock is off.
  let held: { for: string; exp: number; signed: AppJwt } | null = null;
  return async (appId, timeDifference = 0) => {
    const now = Math.floor(clock() / 1000) + timeDifference;
    const holder = `${appId}|${timeDifference}`;
    if (held && held.for === holder && held.exp - now > RENEW_BEFORE_SECONDS) return held.signed;
    const iat = now - BACKDATE_SECONDS;
    const exp = iat + LIFETIME_SECONDS;
    const header = base64url({ alg: 'RS256', typ: 'JWT' });
    const payload = base64url({ iat, exp, iss: String(appId) });
    const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), key).toString('base64url');
    // `exp` is on GitHub's clock; expiresAt on ours, as auth-app reports it.
    held = {
      for: holder,
      exp,
      signed: { jwt: `${header}.${payload}.${signature}`, expiresAt: new Date((exp - timeDifference) * 1000).toISOString() },
    };
    return held.signed;
  };
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
