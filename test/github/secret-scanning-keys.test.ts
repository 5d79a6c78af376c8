import { afterEach, describe, expect, it } from 'vitest';
import { SecretScanningKeys, SecretScanningKeysUnavailableError } from '../../src/github/secret-scanning-keys.js';
import {
  makeRsaKeyPair,
  makeSecretScanningKey,
  signSecretScanningPayload,
  startGitHubStandIn,
  type GitHubStandIn,
} from '../helpers/github/standin.js';

const PATH = '/meta/public_keys/secret_scanning';
let gh: GitHubStandIn;
afterEach(async () => gh?.close());

/** A key cache on a clock the test moves. */
function cache(options: { refetchIntervalMs?: number; retryAfterFailureMs?: number; maxAgeMs?: number } = {}) {
  const clock = { now: 1_000_000 };
  const keys = new SecretScanningKeys({ apiUrl: gh.url, now: () => clock.now, ...options });
  return { keys, clock };
}
const fetches = () => gh.requests.filter((r) => r.path === PATH).length;

describe('SecretScanningKeys', () => {
  it('verifies a signature over the raw bytes with the published key, and nothing else', async () => {
    const signer = makeSecretScanningKey();
    gh = await startGitHubStandIn({ secretScanningKeys: [signer.publicKey] });
    const { keys } = cache();
    const body = '[{"token":"x","type":"t","url":"","source":"content"}]';
    const { 'Github-Public-Key-Identifier': id, 'Github-Public-Key-Signature': sig } = signSecretScanningPayload(body, signer);
    expect(await keys.check(Buffer.from(body), id!, sig!)).toBe('valid');
    expect(await keys.check(Buffer.from(`${body} `), id!, sig!)).toBe('bad-signature');
    expect(await keys.check(Buffer.from(body), id!, '')).toBe('bad-signature');
    expect(await keys.check(Buffer.from(body), id!, Buffer.from('garbage').toString('base64'))).toBe('bad-signature');
  });

  it('fetches once for concurrent first requests, and refetches for unknown identifiers at most once per interval', async () => {
    const signer = makeSecretScanningKey();
    gh = await startGitHubStandIn({ secretScanningKeys: [signer.publicKey] });
    const { keys, clock } = cache({ refetchIntervalMs: 60_000 });
    const id = signer.publicKey.key_identifier;
    const found = await Promise.all([keys.keyFor(id), keys.keyFor(id), keys.keyFor('nope'), keys.keyFor(id)]);
    expect(found.map((k) => k !== null)).toEqual([true, true, false, true]);
    expect(fetches()).toBe(1);

    // The first miss after the cold fetch refetches; concurrent misses share it; later ones wait for the interval.
    expect(await Promise.all([keys.keyFor('a'), keys.keyFor('b')])).toEqual([null, null]);
    expect(fetches()).toBe(2);
    clock.now += 59_000;
    expect(await keys.keyFor('c')).toBeNull();
    expect(fetches()).toBe(2);
    const added = makeSecretScanningKey();
    gh.secretScanningKeys = [signer.publicKey, added.publicKey];
    clock.now += 1_000;
    expect(await keys.keyFor(added.publicKey.key_identifier)).not.toBeNull();
    expect(fetches()).toBe(3);
  });

  it('is unavailable, not "unknown", while GitHub cannot be reached, retries after a pause, and recovers', async () => {
    const signer = makeSecretScanningKey();
    gh = await startGitHubStandIn({ secretScanningKeys: [signer.publicKey] });
    const { keys, clock } = cache({ retryAfterFailureMs: 5_000 });
    const id = signer.publicKey.key_identifier;
    gh.fail({ path: /secret_scanning/, times: 1, status: 503 });
    await expect(keys.keyFor(id)).rejects.toBeInstanceOf(SecretScanningKeysUnavailableError);
    await expect(keys.keyFor(id)).rejects.toBeInstanceOf(SecretScanningKeysUnavailableError);
    expect(fetches()).toBe(1);
    clock.now += 5_000;
    expect(await keys.keyFor(id)).not.toBeNull();
    expect(fetches()).toBe(2);

    // With keys cached, a failed refetch keeps the cached ones working; an identifier it could not look up is a retry.
    clock.now += 60_000;
    gh.fail({ path: /secret_scanning/, times: 1, status: 502 });
    await expect(keys.keyFor('other')).rejects.toBeInstanceOf(SecretScanningKeysUnavailableError);
    expect(await keys.keyFor(id)).not.toBeNull();
  });

  it('refreshes an old set in the background, so a key GitHub retires stops verifying', async () => {
    const old = makeSecretScanningKey(false);
    const current = makeSecretScanningKey();
    gh = await startGitHubStandIn({ secretScanningKeys: [old.publicKey, current.publicKey] });
    const { keys, clock } = cache({ maxAgeMs: 3_600_000 });
    expect(await keys.keyFor(old.publicKey.key_identifier)).not.toBeNull();
    gh.secretScanningKeys = [current.publicKey];
    clock.now += 3_600_001;
    // Answered from the cache while the refresh runs; gone once it has.
    expect(await keys.keyFor(old.publicKey.key_identifier)).not.toBeNull();
    await expect.poll(() => keys.keyFor(old.publicKey.key_identifier)).toBeNull();
    expect(await keys.keyFor(current.publicKey.key_identifier)).not.toBeNull();
  });

  it('ignores entries that are not P-256 public keys', async () => {
    const signer = makeSecretScanningKey();
    const rsa = makeRsaKeyPair();
    gh = await startGitHubStandIn({
      secretScanningKeys: [
        { key_identifier: 'rsa', key: rsa.publicKeyPem, is_current: false },
        { key_identifier: 'junk', key: 'not a pem', is_current: false },
        signer.publicKey,
      ],
    });
    const { keys } = cache();
    expect(await keys.keyFor('rsa')).toBeNull();
    expect(await keys.keyFor('junk')).toBeNull();
    expect(await keys.keyFor(signer.publicKey.key_identifier)).not.toBeNull();
  });
});
