import type { Redis } from 'ioredis';
import { Redis as IORedis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Exposure, Location, LocationRecord } from '../../src/core/exposure.js';
import { ALERT_LIMITS, alertShardOfId, alertShardOfKey } from '../../src/stores/alert-store-names.js';
import { AlertCursorError, AlertStore, type AlertFilter, type ExposedKey } from '../../src/stores/alert-store.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { REDIS_URL, deletePrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { asLocation } from '../helpers/location.js';

const SHA = 'a'.repeat(64);
const COMMIT = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';

function location(overrides: Partial<LocationRecord> = {}): Location {
  return asLocation({
    source: 'push',
    repo: 'octo-org/app',
    path: 'config/app.env',
    line: 3,
    commit: COMMIT,
    url: `https://github.com/octo-org/app/blob/${COMMIT}/config/app.env#L3`,
    seenAt: '2026-11-26T13:00:00.500Z',
    ...overrides,
  });
}

function exposure(overrides: Partial<Exposure> = {}, where: Partial<LocationRecord> = {}): Exposure {
  return {
    secretSha256: SHA,
    redacted: 'neev_…pzQj',
    ruleId: 'neevcloud-api-key',
    location: location(where),
    public: true,
    pushedAt: '2026-11-26T13:00:00.000Z',
    receivedAt: '2026-11-26T13:00:00.300Z',
    ...overrides,
  };
}

function key(overrides: Partial<ExposedKey> = {}): ExposedKey {
  return {
    id: 'key_AAAAAAAAAAAAAAAA',
    ownerId: 'own_AAAAAAAAAAAAAAAA',
    hint: 'neev_…pzQj',
    status: 'active',
    revokedAt: null,
    ...overrides,
  };
}

let redis: Redis;
let prefix: string;
let store: AlertStore;
beforeEach(() => {
  redis = testRedis();
  prefix = freshPrefix();
  store = new AlertStore(redis, prefix);
});
afterEach(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe('AlertStore.recordExposure', () => {
  it('creates one alert per key with the contract’s fields', async () => {
    const revoked = key({ status: 'revoked', revokedAt: '2026-11-26T13:00:00.840Z', revokeLatencyMs: 840 });
    const { alert, created, newLocation } = await store.recordExposure(exposure(), revoked);
    expect(created).toBe(true);
    expect(newLocation).toBe(true);
    expect(alert).toEqual({
      id: expect.stringMatching(/^alt_[0-9A-Za-z]{16}$/),
      state: 'open',
      resolution: null,
      keyId: 'key_AAAAAAAAAAAAAAAA',
      ownerId: 'own_AAAAAAAAAAAAAAAA',
      keyHint: 'neev_…pzQj',
      keyName: null,
      secretSha256: SHA,
      keyStatus: 'revoked',
      revokedAt: '2026-11-26T13:00:00.840Z',
      verifiedRevokedAt: null,
      revocationVerification: null,
      assignee: null,
      resolvedAt: null,
      resolvedBy: null,
      resolutionComment: null,
      firstSeenAt: '2026-11-26T13:00:00.500Z',
      pushedAt: '2026-11-26T13:00:00.000Z',
      committedAt: null,
      receivedAt: '2026-11-26T13:00:00.300Z',
      revokeLatencyMs: 840,
      canary: false,
      canaryLabel: null,
      replacedBy: null,
      locations: [location()],
      locationCount: 1,
      notifications: [],
      timeline: [
        { event: 'pushed', at: '2026-11-26T13:00:00.000Z' },
        { event: 'received', at: '2026-11-26T13:00:00.300Z' },
        { event: 'revoked', at: '2026-11-26T13:00:00.840Z' },
      ],
    });
    expect(await store.get(alert.id)).toEqual(alert);
    expect(await store.getByKeyId('key_AAAAAAAAAAAAAAAA')).toEqual(alert);
    expect(await store.getByKeyId('key_BBBBBBBBBBBBBBBB')).toBeNull();
    expect(await store.get('alt_0000000000000000')).toBeNull();
  });

  it('keeps the commit time apart from the push time, the earliest of it, in the timeline before the push', async () => {
    await store.recordExposure(exposure({ committedAt: '2026-11-26T12:00:00.000Z' }), key());
    const { alert } = await store.recordExposure(exposure({ committedAt: '2026-11-19T12:00:00.000Z' }, { line: 4 }), key());
    const later = await store.recordExposure(exposure({ committedAt: '2026-11-26T12:30:00.000Z' }, { line: 5 }), key());
    expect(alert.committedAt).toBe('2026-11-19T12:00:00.000Z');
    expect(later.alert).toMatchObject({ committedAt: '2026-11-19T12:00:00.000Z', pushedAt: '2026-11-26T13:00:00.000Z' });
    expect(later.alert.timeline.slice(0, 2)).toEqual([
      { event: 'committed', at: '2026-11-19T12:00:00.000Z' },
      { event: 'pushed', at: '2026-11-26T13:00:00.000Z' },
    ]);
  });

  it('stores the same place once, keeps the earliest times, and appends a new place', async () => {
    const first = await store.recordExposure(exposure(), key());
    // A redelivery that claims earlier times (say, another event for the same push).
    const again = await store.recordExposure(
      exposure({ pushedAt: '2026-11-26T12:59:00.000Z', receivedAt: '2026-11-26T13:00:00.100Z' }, { seenAt: '2026-11-26T13:00:00.200Z' }),
      key(),
    );
    expect(again).toMatchObject({ created: false, newLocation: false });
    expect(again.alert.id).toBe(first.alert.id);
    expect(again.alert.locations).toEqual([location()]);
    expect(again.alert).toMatchObject({
      firstSeenAt: '2026-11-26T13:00:00.200Z',
      pushedAt: '2026-11-26T12:59:00.000Z',
      receivedAt: '2026-11-26T13:00:00.100Z',
      locationCount: 1,
    });

    // Later times never move them forward.
    const elsewhere = {
      source: 'issue' as const,
      path: null,
      line: null,
      commit: null,
      url: 'https://github.com/octo-org/app/issues/7',
      seenAt: '2026-11-27T00:00:00.000Z',
    };
    const later = await store.recordExposure(exposure({ pushedAt: null, receivedAt: '2026-11-27T00:00:00.000Z' }, elsewhere), key());
    expect(later).toMatchObject({ created: false, newLocation: true });
    expect(later.alert.locations).toEqual([location(), location(elsewhere)]);
    expect(later.alert).toMatchObject({ firstSeenAt: '2026-11-26T13:00:00.200Z', pushedAt: '2026-11-26T12:59:00.000Z', locationCount: 2 });
  });

  it("keeps a partner report's source on its location, and tells places apart by it", async () => {
    const partner = { source: 'partner' as const, repo: null, path: null, line: null, commit: null, url: null, partnerSource: 'npm' };
    await store.recordExposure(exposure({ pushedAt: null }, partner), key());
    const again = await store.recordExposure(exposure({ pushedAt: null }, partner), key());
    expect(again.newLocation).toBe(false);
    const gist = await store.recordExposure(exposure({ pushedAt: null }, { ...partner, partnerSource: 'gist_content' }), key());
    expect(gist.newLocation).toBe(true);
    expect(gist.alert.locations).toEqual([location(partner), location({ ...partner, partnerSource: 'gist_content' })]);
    // Other places carry no partnerSource field at all.
    const push = await store.recordExposure(exposure(), key());
    expect(Object.keys(push.alert.locations[2]!)).not.toContain('partnerSource');
  });

  it('50 concurrent exposures of one key make one alert with 50 locations', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.recordExposure(exposure({}, { line: i + 1 }), key())));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.alert.id)).size).toBe(1);
    const alert = (await store.getByKeyId('key_AAAAAAAAAAAAAAAA'))!;
    expect(alert.locations).toHaveLength(50);
    expect(alert.locationCount).toBe(50);
    expect(new Set(alert.locations.map((l) => l.line)).size).toBe(50);
    expect((await store.list()).alerts).toHaveLength(1);
  });

  it('caps the locations kept and counts those beyond the cap', async () => {
    const total = ALERT_LIMITS.locations + 5;
    for (let start = 0; start < total; start += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, total - start) }, (_, i) => store.recordExposure(exposure({}, { line: start + i + 1 }), key())),
      );
    }
    // A redelivery past the cap is still recognised.
    expect((await store.recordExposure(exposure({}, { line: total }), key())).newLocation).toBe(false);
    const alert = (await store.getByKeyId('key_AAAAAAAAAAAAAAAA'))!;
    expect(alert.locations).toHaveLength(ALERT_LIMITS.locations);
    expect(alert.locationCount).toBe(total);
  });

  it('never moves keyStatus back, and keeps the first revocation', async () => {
    const { alert } = await store.recordExposure(
      exposure(),
      key({ status: 'revoked', revokedAt: '2026-11-26T13:00:01.000Z', revokeLatencyMs: 1000 }),
    );
    // A worker that read the key before it was revoked finishes late.
    const stale = await store.recordExposure(exposure({}, { line: 9 }), key());
    expect(stale.alert).toMatchObject({ keyStatus: 'revoked', revokedAt: '2026-11-26T13:00:01.000Z', revokeLatencyMs: 1000 });
    const second = await store.recordExposure(
      exposure({}, { line: 10 }),
      key({ status: 'revoked', revokedAt: '2026-11-26T14:00:00.000Z', revokeLatencyMs: 5 }),
    );
    expect(second.alert).toMatchObject({ revokedAt: '2026-11-26T13:00:01.000Z', revokeLatencyMs: 1000 });
    expect(await store.markRevoked(alert.id, '2026-11-26T15:00:00.000Z', 7)).toMatchObject({
      revokedAt: '2026-11-26T13:00:01.000Z',
      revokeLatencyMs: 1000,
    });
  });

  it('records the proof of a revocation: verified sets verifiedRevokedAt (and the timeline); a key found live again clears it', async () => {
    const { alert } = await store.recordExposure(
      exposure(),
      key({ status: 'revoked', revokedAt: '2026-11-26T13:00:01.000Z', revokeLatencyMs: 1000 }),
    );
    expect(alert).toMatchObject({ verifiedRevokedAt: null, revocationVerification: null });
    const verified = await store.markVerification(alert.id, 'verified', new Date('2026-11-26T13:00:01.050Z'));
    expect(verified).toMatchObject({ verifiedRevokedAt: '2026-11-26T13:00:01.050Z', revocationVerification: 'verified' });
    expect(verified!.timeline).toContainEqual({ event: 'verified_revoked', at: '2026-11-26T13:00:01.050Z' });
    const live = await store.markVerification(alert.id, 'still_authenticates', new Date('2026-11-26T14:00:00.000Z'));
    expect(live).toMatchObject({ verifiedRevokedAt: null, revocationVerification: 'still_authenticates' });
    expect(live!.timeline.map((t) => t.event)).not.toContain('verified_revoked');
    expect(await store.markVerification(alert.id, 'failed', new Date())).toMatchObject({
      verifiedRevokedAt: null,
      revocationVerification: 'failed',
    });
    expect(await store.markVerification('alt_0000000000000000', 'verified', new Date())).toBeNull();
    expect(await store.redis.exists(store.names.alert('alt_0000000000000000'))).toBe(0);
  });

  it('rejects a time that is not one (a bug upstream, not a retry)', async () => {
    await expect(store.recordExposure(exposure({ receivedAt: 'yesterday' }), key())).rejects.toBeInstanceOf(TypeError);
    expect(await store.list()).toEqual({ alerts: [], nextCursor: null });
  });
});

describe('AlertStore.markRevoked', () => {
  it('records a later revocation with its latency, once', async () => {
    const { alert } = await store.recordExposure(exposure(), key());
    expect(alert).toMatchObject({ keyStatus: 'active', revokedAt: null, revokeLatencyMs: null });
    const marked = await store.markRevoked(alert.id, '2026-11-26T13:00:02.000Z', 2000);
    expect(marked).toMatchObject({ keyStatus: 'revoked', revokedAt: '2026-11-26T13:00:02.000Z', revokeLatencyMs: 2000 });
    expect(marked!.timeline.map((t) => t.event)).toEqual(['pushed', 'received', 'revoked']);
    expect(await store.markRevoked(alert.id, '2026-11-26T13:00:09.000Z', 9000)).toMatchObject({
      revokedAt: '2026-11-26T13:00:02.000Z',
      revokeLatencyMs: 2000,
    });
    expect(await store.markRevoked('alt_0000000000000000', '2026-11-26T13:00:02.000Z', 1)).toBeNull();
  });
});

describe('AlertStore.list', () => {
  it('pages newest first by firstSeenAt, ties included, with a state filter', async () => {
    // Seven keys: two share a firstSeenAt, so a page boundary falls inside a tie.
    const seen = ['01', '02', '03', '03', '05', '06', '07'].map((d) => `2026-11-${d}T00:00:00.000Z`);
    for (const [i, seenAt] of seen.entries()) {
      await store.recordExposure(exposure({}, { seenAt }), key({ id: `key_${String(i).repeat(16)}` }));
    }
    const ids: string[] = [];
    const firstSeen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<AlertStore['list']>> = await store.list({ limit: 2, cursor });
      expect(page.alerts.length).toBeLessThanOrEqual(2);
      ids.push(...page.alerts.map((a) => a.id));
      firstSeen.push(...page.alerts.map((a) => a.firstSeenAt));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(new Set(ids).size).toBe(7);
    expect(firstSeen).toEqual([...seen].reverse());

    const open = await store.list({ state: 'open', limit: 100 });
    expect(open.alerts.map((a) => a.id)).toEqual(ids);
    expect(open.nextCursor).toBeNull();
    expect(await store.list({ state: 'resolved' })).toEqual({ alerts: [], nextCursor: null });
  });

  it('walks a cursor across the shards through ties that span them, with and without a filter', async () => {
    // Twenty-four alerts on three times, eight each: every page boundary falls inside a tie held by several shards.
    const created: Array<{ id: string; at: number }> = [];
    for (let i = 0; i < 24; i++) {
      const seenAt = `2026-11-0${1 + (i % 3)}T00:00:00.000Z`;
      const { alert } = await store.recordExposure(exposure({}, { seenAt }), key({ id: `key_Tie${String(i).padStart(13, '0')}` }));
      if (i % 4 === 0) await store.resolve(alert.id, { resolution: 'revoked' }, { id: 'tok_Admin00000000000', name: 'admin' });
      created.push({ id: alert.id, at: Date.parse(seenAt) });
    }
    expect(new Set(created.map((c) => alertShardOfId(c.id))).size).toBeGreaterThan(3);
    // Newest first; within a time, ids in reverse byte order (as every index lists them).
    const order = [...created].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1)).map((c) => c.id);
    const walk = async (filter: AlertFilter, limit: number) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<AlertStore['list']>> = await store.list({ ...filter, limit, cursor });
        expect(page.alerts.length).toBeLessThanOrEqual(limit);
        ids.push(...page.alerts.map((a) => a.id));
        cursor = page.nextCursor;
      } while (cursor);
      return ids;
    };
    for (const limit of [1, 3, 5]) expect(await walk({}, limit)).toEqual(order);
    const open = created.filter((_, i) => i % 4 !== 0).map((c) => c.id);
    expect(await walk({ state: 'open' }, 4)).toEqual(order.filter((id) => open.includes(id)));
    expect(await store.count()).toEqual({ open: 18, resolved: 6, complete: true });
    expect(await store.count({ repo: 'OCTO-ORG/app' })).toEqual({ open: 18, resolved: 6, complete: true });
  });

  it('fills a page from a shard that holds most of it (the second round), a full page each time', async () => {
    // Twenty-five alerts of keys whose alerts all go to one shard, and three elsewhere.
    const keyIds: string[] = [];
    for (let i = 0; keyIds.length < 28; i++) {
      const id = `key_Crowd${String(i).padStart(11, '0')}`;
      if ((alertShardOfKey(id) === 7) === keyIds.length < 25) keyIds.push(id);
    }
    const created: Array<{ id: string; at: number }> = [];
    for (const [i, id] of keyIds.entries()) {
      const seenAt = new Date(Date.UTC(2026, 10, 1, 0, i % 20)).toISOString();
      created.push({ id: (await store.recordExposure(exposure({}, { seenAt }), key({ id }))).alert.id, at: Date.parse(seenAt) });
    }
    const order = [...created].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1)).map((c) => c.id);
    const sizes: number[] = [];
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<AlertStore['list']>> = await store.list({ limit: 10, cursor });
      sizes.push(page.alerts.length);
      ids.push(...page.alerts.map((a) => a.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(ids).toEqual(order);
    expect(sizes).toEqual([10, 10, 8]);
  });

  it('refuses a cursor it did not hand out', async () => {
    await expect(store.list({ cursor: 'nope' })).rejects.toBeInstanceOf(AlertCursorError);
  });
});

describe('AlertStore with Redis down', () => {
  it('every call fails as unavailable (a retry), never as "no alert"', async () => {
    const down = new IORedis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const offline = new AlertStore(down, prefix);
    await expect(offline.recordExposure(exposure(), key())).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(offline.get('alt_0000000000000000')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(offline.getByKeyId('key_AAAAAAAAAAAAAAAA')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(offline.list()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(offline.markRevoked('alt_0000000000000000', '2026-11-26T13:00:00.000Z', 1)).rejects.toBeInstanceOf(StoreUnavailableError);
    down.disconnect();
  });
});
