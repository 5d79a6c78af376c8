import type { Redis } from 'ioredis';
import { Redis as IORedis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { handleExposure } from '../../src/pipeline/handle-exposure.js';
import type { RevocationCheckJob } from '../../src/pipeline/revocation-check.js';
import type { Exposure, LocationRecord, RevokePolicy } from '../../src/core/exposure.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { KeyStoreUnavailableError, type KeyStore } from '../../src/stores/key-store.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { RedisKeyStore } from '../../src/stores/redis-key-store.js';
import { REDIS_URL, deletePrefix, dumpPrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { asLocation } from '../helpers/location.js';

const COMMIT = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';
const URL_L3 = `https://github.com/octo-org/app/blob/${COMMIT}/config/app.env#L3`;

let redis: Redis;
let prefix: string;
let keyStore: RedisKeyStore;
let alerts: AlertStore;
let ownerId: string;

beforeEach(async () => {
  redis = testRedis();
  prefix = freshPrefix();
  keyStore = new RedisKeyStore(redis, prefix);
  alerts = new AlertStore(redis, prefix);
  ownerId = (await keyStore.createOwner({ name: 'Acme', email: 'sec@acme.example' })).id;
});
afterEach(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

async function newKey(name = 'Production Web App') {
  const { key, record } = await keyStore.createKey({ ownerId, name });
  return { key, id: record.id, sha: sha256Hex(key) };
}

function exposure(sha: string, options: { public?: boolean; pushedAt?: string | null; where?: Partial<LocationRecord> } = {}): Exposure {
  const now = Date.now();
  return {
    secretSha256: sha,
    redacted: 'neev_…abcd',
    ruleId: 'neevcloud-api-key',
    location: asLocation({
      source: 'push',
      repo: 'octo-org/app',
      path: 'config/app.env',
      line: 3,
      commit: COMMIT,
      url: URL_L3,
      seenAt: new Date(now).toISOString(),
      ...options.where,
    }),
    public: options.public ?? true,
    pushedAt: options.pushedAt === undefined ? new Date(now - 1500).toISOString() : options.pushedAt,
    receivedAt: new Date(now - 500).toISOString(),
  };
}

const deps = (policy: RevokePolicy, store: KeyStore = keyStore, alertStore: AlertStore = alerts) => ({
  keyStore: store,
  alerts: alertStore,
  policy,
});

/** The alert store's part of Redis: what must stay empty when nothing is recorded. */
const alertDump = () => dumpPrefix(redis, `${prefix}{al:`);

/** A KeyStore that counts revokes, delegating to the real one. */
function counting(store: KeyStore) {
  const counter = { revokes: 0 };
  const wrapped: KeyStore = {
    findByHash: (sha) => store.findByHash(sha),
    revoke: (id, revocation) => {
      counter.revokes++;
      return store.revoke(id, revocation);
    },
    authenticatesByHash: (sha) => store.authenticatesByHash(sha),
    getOwner: (id) => store.getOwner(id),
    usageSince: (id, since) => store.usageSince(id, since),
  };
  return { store: wrapped, counter };
}

describe('handleExposure', () => {
  it('revokes an active key found in a public place and records one alert with the latency', async () => {
    const k = await newKey();
    const e = exposure(k.sha);
    const { outcome, alert } = await handleExposure(deps('public'), e);
    expect(outcome).toBe('revoked');

    const record = (await keyStore.getKey(k.id))!;
    expect(record).toMatchObject({
      status: 'revoked',
      revokedBy: 'leak-detector',
      revokedReason: `exposed in octo-org/app config/app.env:3 at commit ${COMMIT} (${URL_L3})`,
    });
    expect(alert).toMatchObject({
      state: 'open',
      keyId: k.id,
      ownerId,
      keyHint: record.hint,
      secretSha256: k.sha,
      keyStatus: 'revoked',
      revokedAt: record.revokedAt,
      pushedAt: e.pushedAt,
      revokeLatencyMs: Date.parse(record.revokedAt!) - Date.parse(e.pushedAt!),
      locations: [e.location],
      notifications: [],
    });
    expect(alert!.revokeLatencyMs).toBeGreaterThanOrEqual(1500);
    expect(await alerts.getByKeyId(k.id)).toEqual(alert);
    expect((await alerts.list()).alerts).toHaveLength(1);
  });

  it('measures latency from receipt when the push time is unknown', async () => {
    const k = await newKey();
    const e = exposure(k.sha, { pushedAt: null });
    const { alert } = await handleExposure(deps('public'), e);
    expect(alert!.pushedAt).toBeNull();
    expect(alert!.revokeLatencyMs).toBe(Date.parse(alert!.revokedAt!) - Date.parse(e.receivedAt));
  });

  it("policy 'public' only alerts on a private place; 'all' revokes it", async () => {
    const k = await newKey();
    const alertOnly = await handleExposure(deps('public'), exposure(k.sha, { public: false }));
    expect(alertOnly.outcome).toBe('alert-only');
    expect(alertOnly.alert).toMatchObject({ keyStatus: 'active', revokedAt: null, revokeLatencyMs: null });
    expect((await keyStore.getKey(k.id))!.status).toBe('active');

    const all = await handleExposure(deps('all'), exposure(k.sha, { public: false, where: { line: 4 } }));
    expect(all.outcome).toBe('revoked');
    expect((await keyStore.getKey(k.id))!.status).toBe('revoked');
    // Same alert, now revoked, with both places.
    expect(all.alert).toMatchObject({ id: alertOnly.alert!.id, keyStatus: 'revoked', locationCount: 2 });
    expect(all.alert!.revokeLatencyMs).toEqual(expect.any(Number));
  });

  it("policy 'off' never revokes, even a public place", async () => {
    const k = await newKey();
    const { store, counter } = counting(keyStore);
    const { outcome, alert } = await handleExposure(deps('off', store), exposure(k.sha));
    expect(outcome).toBe('alert-only');
    expect(counter.revokes).toBe(0);
    expect(alert).toMatchObject({ keyStatus: 'active', revokedAt: null });
    expect((await keyStore.getKey(k.id))!.status).toBe('active');
  });

  it('an unknown secret makes no alert and writes nothing', async () => {
    const result = await handleExposure(deps('all'), exposure(sha256Hex(generateKey())));
    expect(result).toEqual({ outcome: 'unknown' });
    expect(await alertDump()).toEqual([]);
  });

  it('a key its owner already revoked: an alert, and the revocation left as it was', async () => {
    const k = await newKey();
    const before = (await keyStore.revoke(k.id, { reason: 'pasted in a wiki', by: 'owner' }))!;
    const { store, counter } = counting(keyStore);
    const { outcome, alert } = await handleExposure(deps('public', store), exposure(k.sha));
    expect(outcome).toBe('already-revoked');
    expect(counter.revokes).toBe(0);
    expect(alert).toMatchObject({ keyStatus: 'revoked', revokedAt: before.revokedAt, revokeLatencyMs: null });
    expect(await keyStore.getKey(k.id)).toEqual(before);
  });

  it('an expired key: an alert, no revoke', async () => {
    const { record, key } = await keyStore.createKey({ ownerId, name: 'Old', expiresAt: new Date(Date.now() - 1000) });
    const { store, counter } = counting(keyStore);
    const { outcome, alert } = await handleExposure(deps('all', store), exposure(sha256Hex(key)));
    expect(outcome).toBe('expired');
    expect(counter.revokes).toBe(0);
    expect(alert).toMatchObject({ keyId: record.id, keyStatus: 'expired', revokedAt: null });
  });

  it('a redelivered exposure revokes once and adds no location; a new place adds one', async () => {
    const k = await newKey();
    const { store, counter } = counting(keyStore);
    const e = exposure(k.sha);
    const first = await handleExposure(deps('public', store), e);
    const revokedOnce = await keyStore.getKey(k.id);
    const again = await handleExposure(deps('public', store), e);
    expect(first.outcome).toBe('revoked');
    expect(again.outcome).toBe('already-revoked');
    expect(counter.revokes).toBe(1);
    expect(await keyStore.getKey(k.id)).toEqual(revokedOnce);
    expect(again.alert).toEqual(first.alert);

    const where = { path: 'deploy/.env', line: 12, url: `https://github.com/octo-org/app/blob/${COMMIT}/deploy/.env#L12` };
    const elsewhere = await handleExposure(deps('public', store), exposure(k.sha, { where }));
    expect(elsewhere.alert!.id).toBe(first.alert!.id);
    expect(elsewhere.alert!.locations.map((l) => l.path)).toEqual(['config/app.env', 'deploy/.env']);
    expect(elsewhere.alert).toMatchObject({ revokedAt: first.alert!.revokedAt, revokeLatencyMs: first.alert!.revokeLatencyMs });
  });

  it('50 concurrent exposures of one key: one revocation, one alert with 50 locations', async () => {
    const k = await newKey();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => handleExposure(deps('public'), exposure(k.sha, { where: { line: i + 1 } }))),
    );
    expect(new Set(results.map((r) => r.alert!.id)).size).toBe(1);
    const alert = (await alerts.getByKeyId(k.id))!;
    expect(alert.locations).toHaveLength(50);
    expect(alert.revokedAt).toBe((await keyStore.getKey(k.id))!.revokedAt);
  });

  it('a key store that cannot answer is a retry, and nothing is written', async () => {
    const k = await newKey();
    const failing: KeyStore = {
      findByHash: async () => {
        throw new KeyStoreUnavailableError('key store unavailable: ECONNREFUSED');
      },
      revoke: async () => {
        throw new Error('must not be called');
      },
      authenticatesByHash: async () => {
        throw new Error('must not be called');
      },
      getOwner: async () => null,
      usageSince: async () => [],
    };
    await expect(handleExposure(deps('all', failing), exposure(k.sha))).rejects.toBeInstanceOf(KeyStoreUnavailableError);

    const down = new IORedis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    await expect(handleExposure(deps('all', new RedisKeyStore(down, prefix)), exposure(k.sha))).rejects.toBeInstanceOf(
      KeyStoreUnavailableError,
    );
    down.disconnect();

    expect(await alertDump()).toEqual([]);
    expect((await keyStore.getKey(k.id))!.status).toBe('active');
  });

  it('an alert store outage after the revoke is retried into the alert, latency included', async () => {
    const k = await newKey();
    const down = new IORedis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const e = exposure(k.sha);
    await expect(handleExposure(deps('public', keyStore, new AlertStore(down, prefix)), e)).rejects.toBeInstanceOf(StoreUnavailableError);
    down.disconnect();
    const record = (await keyStore.getKey(k.id))!;
    expect(record.status).toBe('revoked');

    const retry = await handleExposure(deps('public'), e);
    expect(retry.outcome).toBe('already-revoked');
    expect(retry.alert).toMatchObject({
      revokedAt: record.revokedAt,
      revokeLatencyMs: Date.parse(record.revokedAt!) - Date.parse(e.pushedAt!),
    });
  });

  it('proves a revocation where it was made: the key refused at once needs no verification job; one still accepted, or no answer, gets it', async () => {
    const queued: RevocationCheckJob[] = [];
    const verifyRevocation = async (job: RevocationCheckJob) => void queued.push(job);
    const k = await newKey();
    const proven = await handleExposure({ ...deps('public'), verifyRevocation }, exposure(k.sha));
    expect(proven.alert).toMatchObject({ keyStatus: 'revoked', revocationVerification: 'verified' });
    expect(Date.parse(proven.alert!.verifiedRevokedAt!)).toBeGreaterThanOrEqual(Date.parse(proven.alert!.revokedAt!));
    expect(await alerts.get(proven.alert!.id)).toEqual(proven.alert);
    expect(queued).toEqual([]);

    // A key store whose gateway still accepts the revoked key, then one that cannot answer: the job decides, as before.
    for (const authenticatesByHash of [async () => true, async () => Promise.reject(new KeyStoreUnavailableError('down'))]) {
      const other = await newKey(`other ${queued.length}`);
      const store: KeyStore = Object.assign(Object.create(keyStore) as KeyStore, { authenticatesByHash });
      const result = await handleExposure({ ...deps('public', store), verifyRevocation }, exposure(other.sha));
      expect(result.alert).toMatchObject({ keyStatus: 'revoked', verifiedRevokedAt: null, revocationVerification: null });
      expect(queued.at(-1)).toMatchObject({ alertId: result.alert!.id, keyId: other.id, secretSha256: other.sha });
    }
    expect(queued).toHaveLength(2);
  });

  it('nothing in Redis holds a raw key', async () => {
    const keys = [await newKey('a'), await newKey('b'), await newKey('c')];
    await handleExposure(deps('public'), exposure(keys[0]!.sha));
    await handleExposure(deps('public'), exposure(keys[1]!.sha, { public: false }));
    await handleExposure(deps('off'), exposure(keys[2]!.sha));
    const dump = await dumpPrefix(redis, prefix);
    expect((await alertDump()).length).toBeGreaterThan(0);
    for (const { key } of keys) {
      // The key, and its secret part without the prefix, in any encoding a dump could hold.
      for (const needle of [key, key.slice(5), Buffer.from(key).toString('base64'), Buffer.from(key).toString('hex')]) {
        expect(dump.some((b) => b.includes(needle))).toBe(false);
      }
    }
  });
});
