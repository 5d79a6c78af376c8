/** The App JWT signer: what GitHub checks in it (RS256 over the claims, iat/exp/iss), and when it is signed anew. */
import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { appJwtSigner } from '../../src/github/app-jwt.js';
import { makeRsaKeyPair } from '../helpers/github/standin.js';

const appKey = makeRsaKeyPair();

function decode(jwt: string) {
  const [header, payload, signature] = jwt.split('.');
  const valid = verify(
    'RSA-SHA256',
    Buffer.from(`${header}.${payload}`),
    createPublicKey(appKey.publicKeyPem),
    Buffer.from(signature!, 'base64url'),
  );
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString()),
    claims: JSON.parse(Buffer.from(payload!, 'base64url').toString()),
    valid,
  };
}

describe('appJwtSigner', () => {
  it("signs RS256 with iat 60 s back, exp within GitHub's 10 minutes, and the App id as iss", async () => {
    const now = Date.UTC(2026, 10, 26, 12, 0, 0);
    const { jwt, expiresAt } = await appJwtSigner(appKey.pkcs8, () => now)(4711);
    const { header, claims, valid } = decode(jwt);
    expect(valid).toBe(true);
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(claims).toEqual({ iat: now / 1000 - 60, exp: now / 1000 - 60 + 540, iss: '4711' });
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(600);
    expect(expiresAt).toBe(new Date((claims.exp as number) * 1000).toISOString());
  });

  it('reuses the JWT until two minutes before it expires, then signs a new one', async () => {
    let now = Date.UTC(2026, 10, 26, 12, 0, 0);
    const sign = appJwtSigner(appKey.pkcs1, () => now);
    const first = (await sign(4711)).jwt;
    now += 5 * 60_000;
    expect((await sign(4711)).jwt).toBe(first);
    now += 2 * 60_000; // 8 minutes on: exp is 1 minute away
    const second = (await sign(4711)).jwt;
    expect(second).not.toBe(first);
    expect(decode(second).claims.iat).toBe(now / 1000 - 60);
  });

  it("signs anew for a clock correction (auth-app's timeDifference) and another App id", async () => {
    const now = Date.UTC(2026, 10, 26, 12, 0, 0);
    const sign = appJwtSigner(appKey.pkcs8, () => now);
    const plain = (await sign(1)).jwt;
    const corrected = await sign(1, 300);
    expect(corrected.jwt).not.toBe(plain);
    expect(decode(corrected.jwt).claims.iat).toBe(now / 1000 + 300 - 60);
    // expiresAt is on our clock, as auth-app reports it.
    expect(corrected.expiresAt).toBe(new Date(now + (540 - 60) * 1000).toISOString());
    expect(decode((await sign(2)).jwt).claims.iss).toBe('2');
  });
});
