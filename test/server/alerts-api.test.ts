import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyHint, sha256Hex } from '../../src/key-format/key.js';
import { handleExposure } from '../../src/pipeline/handle-exposure.js';
import type { Exposure, LocationRecord, RevokePolicy } from '../../src/core/exposure.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { registry } from '../../src/metrics/registry.js';
import { dumpPrefix } from '../helpers/redis.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { asLocation } from '../helpers/location.js';

const COMMIT = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';

let t: TestServer;
let alerts: AlertStore;
beforeEach(async () => {
  t = await startServer();
  alerts = new AlertStore(t.redis, t.prefix);
});
afterEach(async () => {
  await t.close();
});

async function owner(name = 'Acme Inc', email = 'security@acme.example') {
  const res = await t.api('POST', '/api/v1/owners', { body: { name, email } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function key(ownerId: string, name: string) {
  const res = await t.api('POST', '/api/v1/keys', { body: { ownerId, name } });
  expect(res.status).toBe(201);
  return res.body as { id: string; key: string; hint: string };
}

async function token(scope: string, name = `${scope} token`) {
  const res = await t.api('POST', '/api/v1/tokens', { body: { name, scope } });
  expect(res.status).toBe(201);
  return { token: res.body.token as string, id: res.body.id as string, name };
}

/** A key found somewhere, through the pipeline's own confirm → revoke → alert stage. */
async function expose(
  raw: string,
  where: Partial<LocationRecord> = {},
  options: { public?: boolean; policy?: RevokePolicy; seenAt?: string; pushedAt?: string | null } = {},
) {
  const seenAt = options.seenAt ?? new Date().toISOString();
  const path = where.path === undefined ? 'config/app.env' : where.path;
  const repo = where.repo === undefined ? 'octo-org/app' : where.repo;
  const exposure: Exposure = {
    secretSha256: sha256Hex(raw),
    redacted: keyHint(raw),
    ruleId: 'neevcloud-api-key',
    location: asLocation({
      source: 'push',
      repo,
      path,
      line: 3,
      commit: COMMIT,
      url: repo && path ? `https://github.com/${repo}/blob/${COMMIT}/${path}#L3` : null,
      seenAt,
      ...where,
    }),
    public: options.public ?? true,
    pushedAt: options.pushedAt === undefined ? new Date(Date.parse(seenAt) - 1000).toISOString() : options.pushedAt,
    receivedAt: new Date(Date.parse(seenAt) - 200).toISOString(),
  };
  const result = await handleExposure({ keyStore: t.server.store, alerts, policy: options.policy ?? 'public' }, exposure);
  expect(result.alert).toBeDefined();
  return result.alert!;
}

describe('alerts API: scopes', () => {
  it('admits security and admin tokens, refuses gateway tokens (403) and missing or wrong ones (401)', async () => {
    const k = await key(await owner(), 'Production Web App');
    const alert = await expose(k.key);
    const security = await token('security');
    const gateway = await token('gateway');
    for (const [method, path, body] of [
      ['GET', '/api/v1/alerts', undefined],
      ['GET', `/api/v1/alerts/${alert.id}`, undefined],
      ['GET', `/api/v1/alerts/${alert.id}/audit`, undefined],
      ['GET', '/api/v1/alerts/export?format=json', undefined],
      ['POST', `/api/v1/alerts/${alert.id}/assign`, { assignee: 'x' }],
      ['POST', `/api/v1/alerts/${alert.id}/resolve`, { resolution: 'false_positive' }],
    ] as const) {
      expect((await t.api(method, path, { token: gateway.token, body })).status, `${method} ${path} gateway`).toBe(403);
      expect((await t.api(method, path, { token: null, body })).status, `${method} ${path} none`).toBe(401);
      expect((await t.api(method, path, { token: 'nvs_not_a_token', body })).status, `${method} ${path} wrong`).toBe(401);
    }
    expect((await t.api('GET', `/api/v1/alerts/${alert.id}`, { token: security.token })).status).toBe(200);
    expect((await t.api('GET', `/api/v1/alerts/${alert.id}`)).status).toBe(200);
    // Nothing was changed by the refused calls.
    expect(await alerts.get(alert.id)).toMatchObject({ state: 'open', assignee: null });
  });
});

describe('alerts API: list, filters, pagination', () => {
  it('filters by state, repository (any case), owner, source, assignee and time, newest first', async () => {
    const acme = await owner('Acme');
    const globex = await owner('Globex', 'sec@globex.example');
    const k1 = await key(acme, 'one');
    const k2 = await key(acme, 'two');
    const k3 = await key(globex, 'three');
    const a1 = await expose(k1.key, { repo: 'octo-org/app' }, { seenAt: '2026-01-01T10:00:00.000Z' });
    const a2 = await expose(
      k2.key,
      { source: 'issue', repo: 'octo-org/Docs', path: null, url: 'https://github.com/octo-org/Docs/issues/7' },
      { seenAt: '2026-01-02T10:00:00.000Z' },
    );
    const a3 = await expose(k3.key, { repo: 'globex/site' }, { seenAt: '2026-01-03T10:00:00.000Z' });
    // k1 turns up in a second repository later: it is listed under both.
    await expose(k1.key, { repo: 'globex/site', path: 'leak.txt' }, { seenAt: '2026-01-04T10:00:00.000Z' });

    const ids = async (q: string) => {
      const res = await t.api('GET', `/api/v1/alerts${q}`);
      expect(res.status, q).toBe(200);
      return (res.body.alerts as Array<{ id: string }>).map((a) => a.id);
    };
    expect(await ids('')).toEqual([a3.id, a2.id, a1.id]);
    expect(await ids('?repo=OCTO-ORG/docs')).toEqual([a2.id]);
    expect(await ids('?repo=globex/site')).toEqual([a3.id, a1.id]);
    expect(await ids(`?ownerId=${acme}`)).toEqual([a2.id, a1.id]);
    expect(await ids(`?ownerId=${acme}&repo=globex/site`)).toEqual([a1.id]);
    expect(await ids('?source=issue')).toEqual([a2.id]);
    expect(await ids('?since=2026-01-02&until=2026-01-03')).toEqual([a2.id]);
    expect(await ids('?since=2026-01-02T10:00:00Z')).toEqual([a3.id, a2.id]);
    expect(await ids('?until=2026-01-02T10:00:00.001Z')).toEqual([a2.id, a1.id]);

    expect((await t.api('POST', `/api/v1/alerts/${a2.id}/resolve`, { body: { resolution: 'used_in_tests' } })).status).toBe(200);
    expect(await ids('?state=open')).toEqual([a3.id, a1.id]);
    expect(await ids('?state=resolved')).toEqual([a2.id]);
    expect(await ids(`?state=open&ownerId=${acme}`)).toEqual([a1.id]);
    expect((await t.api('GET', `/api/v1/alerts/counts?ownerId=${acme}`)).body).toEqual({ open: 1, resolved: 1, complete: true });
    expect((await t.api('GET', '/api/v1/alerts/counts')).body).toEqual({ open: 2, resolved: 1, complete: true });

    expect((await t.api('POST', `/api/v1/alerts/${a3.id}/assign`, { body: { assignee: 'Priya@Example.com' } })).status).toBe(200);
    expect(await ids('?assignee=priya@example.com')).toEqual([a3.id]);
    expect((await t.api('POST', `/api/v1/alerts/${a3.id}/assign`, { body: { assignee: 'sam' } })).body.assignee).toBe('sam');
    expect(await ids('?assignee=priya@example.com')).toEqual([]);
    expect(await ids('?assignee=sam')).toEqual([a3.id]);

    for (const bad of [
      '?state=closed',
      '?repo=not a repo',
      '?source=email',
      '?since=yesterday',
      '?since=2026-02-01&until=2026-01-01',
      '?limit=0',
      '?limit=201',
      '?cursor=nope',
      '?status=open',
    ]) {
      const res = await t.api('GET', `/api/v1/alerts${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code, bad).toMatch(/^bad_/);
    }
  });

  it('pages newest first with a cursor that is stable while alerts arrive', async () => {
    const ownerId = await owner();
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      const k = await key(ownerId, `key ${i}`);
      // Two alerts share a firstSeenAt, so a page boundary falls inside a tie.
      made.push((await expose(k.key, { repo: 'octo-org/app' }, { seenAt: `2026-02-0${i === 4 ? 4 : i + 1}T00:00:00.000Z` })).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await t.api('GET', `/api/v1/alerts?repo=octo-org/app&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.alerts.map((a: { id: string }) => a.id));
      cursor = res.body.nextCursor;
      // A new alert arrives between pages: it is newer, so it never shows on a later page.
      const k = await key(ownerId, `late ${pages}`);
      await expose(k.key, { repo: 'octo-org/app' });
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toHaveLength(7);
    expect(new Set(seen)).toEqual(new Set(made));
    const firstSeen = await Promise.all(seen.map(async (id) => (await alerts.get(id))!.firstSeenAt));
    expect([...firstSeen].sort().reverse()).toEqual(firstSeen);
  });
});

describe('alerts API: detail', () => {
  it("holds the key's name, hint, owner and status, links, timeline, latency and usage since exposure; never the key", async () => {
    const ownerId = await owner('Acme Inc', 'security@acme.example');
    const k = await key(ownerId, 'Production Web App');
    const gateway = await token('gateway');
    // The key is used before it leaks is found (same hour): that use counts as "since exposure" by whole hours.
    for (const tokens of [100, 250])
      expect((await t.api('POST', '/api/v1/authenticate', { token: gateway.token, body: { key: k.key, tokens } })).status).toBe(200);
    const alert = await expose(k.key, { repo: 'octo-org/app', path: 'config/app.env' });

    const res = await t.api('GET', `/api/v1/alerts/${alert.id}`);
    expect(res.status).toBe(200);
    const d = res.body;
    expect(d).toMatchObject({
      id: alert.id,
      state: 'open',
      keyId: k.id,
      keyHint: k.hint,
      keyName: 'Production Web App',
      keyStatus: 'revoked',
      key: { id: k.id, name: 'Production Web App', hint: k.hint, status: 'revoked', revokedBy: 'leak-detector' },
      owner: { id: ownerId, name: 'Acme Inc', email: 'security@acme.example' },
      keyStore: 'ok',
      audit: [],
      usageSinceExposure: { requests: 2, tokens: 350 },
    });
    expect(d.revokeLatencyMs).toBeGreaterThanOrEqual(1000);
    expect(d.usageSinceExposure.buckets).toEqual([expect.objectContaining({ requests: 2, tokens: 350 })]);
    expect(d.locations).toEqual([
      expect.objectContaining({
        source: 'push',
        repo: 'octo-org/app',
        url: `https://github.com/octo-org/app/blob/${COMMIT}/config/app.env#L3`,
        commitUrl: `https://github.com/octo-org/app/commit/${COMMIT}`,
      }),
    ]);
    expect(d.timeline.map((e: { event: string }) => e.event)).toEqual(['pushed', 'received', 'revoked']);
    expect(d.owner).not.toHaveProperty('webhookSecret');
    expect(JSON.stringify(d)).not.toContain(k.key);
    expect((await t.api('GET', '/api/v1/alerts/alt_0000000000000000')).status).toBe(404);
    expect((await t.api('GET', '/api/v1/alerts/nonsense')).status).toBe(400);
  });
});

describe('alerts API: a key revoked elsewhere', () => {
  it('is recorded on the alert when the alert is next looked at', async () => {
    const k = await key(await owner(), 'Staging');
    const alert = await expose(k.key, {}, { public: false });
    expect((await t.api('POST', `/api/v1/keys/${k.id}/revoke`, { body: { reason: 'owner rotated it' } })).status).toBe(200);
    const d = (await t.api('GET', `/api/v1/alerts/${alert.id}`)).body;
    expect(d).toMatchObject({
      keyStatus: 'revoked',
      revokeLatencyMs: null,
      key: { status: 'revoked', revokedBy: 'admin', revokedReason: 'owner rotated it' },
    });
    expect(await alerts.get(alert.id)).toMatchObject({ keyStatus: 'revoked', revokedAt: d.key.revokedAt });
  });
});

describe('alerts API: resolve, reopen, assign, comment, audit', () => {
  it('works the lifecycle, refuses what does not apply, and records who did what', async () => {
    const k = await key(await owner(), 'Staging');
    const alert = await expose(k.key, {}, { public: false }); // private repository: alerted, not revoked
    expect(alert.keyStatus).toBe('active');
    const alice = await token('security', 'alice@example.com');
    const bob = await token('security', 'bob@example.com');

    // `revoked` is refused while the key still works.
    const early = await t.api('POST', `/api/v1/alerts/${alert.id}/resolve`, { token: alice.token, body: { resolution: 'revoked' } });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('key_active');

    const assigned = await t.api('POST', `/api/v1/alerts/${alert.id}/assign`, {
      token: alice.token,
      body: { assignee: 'bob@example.com' },
    });
    expect(assigned.body).toMatchObject({ assignee: 'bob@example.com' });
    // The same assignee again changes nothing and adds no audit entry.
    expect(
      (await t.api('POST', `/api/v1/alerts/${alert.id}/assign`, { token: alice.token, body: { assignee: 'bob@example.com' } })).status,
    ).toBe(200);

    const revoked = await t.api('POST', `/api/v1/alerts/${alert.id}/revoke-key`, {
      token: bob.token,
      body: { comment: 'private repo, but a contractor has access' },
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ keyStatus: 'revoked' });
    expect((await t.api('GET', `/api/v1/keys/${k.id}`)).body).toMatchObject({ status: 'revoked', revokedBy: 'admin' });
    expect((await t.api('POST', `/api/v1/alerts/${alert.id}/revoke-key`, { token: bob.token })).body.error.code).toBe('already_revoked');

    const resolved = await t.api('POST', `/api/v1/alerts/${alert.id}/resolve`, {
      token: bob.token,
      body: { resolution: 'revoked', comment: 'rotated\nand revoked' },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      state: 'resolved',
      resolution: 'revoked',
      resolvedBy: 'bob@example.com',
      resolutionComment: 'rotated\nand revoked',
    });
    expect(resolved.body.timeline.map((e: { event: string }) => e.event)).toContain('resolved');
    const again = await t.api('POST', `/api/v1/alerts/${alert.id}/resolve`, { token: bob.token, body: { resolution: 'wont_fix' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_resolved');

    expect(
      (await t.api('POST', `/api/v1/alerts/${alert.id}/comments`, { token: alice.token, body: { comment: 'owner confirmed' } })).status,
    ).toBe(201);
    const reopened = await t.api('POST', `/api/v1/alerts/${alert.id}/reopen`, {
      token: alice.token,
      body: { comment: 'found in a fork too' },
    });
    expect(reopened.body).toMatchObject({ state: 'open', resolution: null, resolvedAt: null, resolvedBy: null, resolutionComment: null });
    expect((await t.api('POST', `/api/v1/alerts/${alert.id}/reopen`, { token: alice.token })).body.error.code).toBe('already_open');
    expect(
      (await t.api('POST', `/api/v1/alerts/${alert.id}/assign`, { token: alice.token, body: { assignee: null } })).body.assignee,
    ).toBeNull();

    const audit = (await t.api('GET', `/api/v1/alerts/${alert.id}/audit`, { token: alice.token })).body.audit;
    expect(audit.map((e: { actor: { name: string }; action: string }) => `${e.actor.name} ${e.action}`)).toEqual([
      'alice@example.com assigned',
      'bob@example.com key_revoked',
      'bob@example.com resolved',
      'alice@example.com commented',
      'alice@example.com reopened',
      'alice@example.com unassigned',
    ]);
    expect(audit[0]).toMatchObject({
      actor: { id: alice.id, name: 'alice@example.com' },
      assignee: 'bob@example.com',
      at: expect.stringMatching(/Z$/),
    });
    expect(audit[2]).toMatchObject({ resolution: 'revoked', comment: 'rotated\nand revoked' });
    expect((await t.api('GET', `/api/v1/alerts/${alert.id}`)).body.audit).toEqual(audit);

    for (const [path, body] of [
      ['resolve', { resolution: 'fixed' }],
      ['resolve', { resolution: 'wont_fix', comment: 'x'.repeat(1001) }],
      ['resolve', { resolution: 'wont_fix', comment: 'bell \u0007' }],
      ['assign', { assignee: '' }],
      ['assign', { assignee: 'two\nlines' }],
      ['comments', { comment: '   ' }],
    ] as const) {
      expect((await t.api('POST', `/api/v1/alerts/${alert.id}/${path}`, { token: alice.token, body })).status, JSON.stringify(body)).toBe(
        400,
      );
    }
    expect((await t.api('POST', '/api/v1/alerts/alt_0000000000000000/resolve', { body: { resolution: 'wont_fix' } })).status).toBe(404);
    expect((await t.api('POST', '/api/v1/alerts/alt_0000000000000000/reopen')).status).toBe(404);
  });

  it('a still-active key in a new place reopens a wont_fix alert; other resolutions and revoked keys stay resolved', async () => {
    const ownerId = await owner();
    const k = await key(ownerId, 'Internal tool');
    const alert = await expose(k.key, { path: 'a.env' }, { public: false });
    await t.api('POST', `/api/v1/alerts/${alert.id}/resolve`, {
      body: { resolution: 'wont_fix', comment: 'internal repo, accepted risk' },
    });

    // The same place again (a redelivery) changes nothing.
    await expose(k.key, { path: 'a.env' }, { public: false });
    expect(await alerts.get(alert.id)).toMatchObject({ state: 'resolved', resolution: 'wont_fix', locationCount: 1 });

    // A new place: reopened, by neevscan, saying why.
    const after = await expose(k.key, { repo: 'octo-org/fork', path: 'b.env' }, { public: false });
    expect(after).toMatchObject({ id: alert.id, state: 'open', resolution: null, locationCount: 2, keyStatus: 'active' });
    const audit = (await t.api('GET', `/api/v1/alerts/${alert.id}/audit`)).body.audit;
    expect(audit.at(-1)).toMatchObject({
      actor: { id: 'neevscan', name: 'neevscan' },
      action: 'reopened',
      reason: 'new_location',
      location: { source: 'push', repo: 'octo-org/fork' },
    });
    expect((await t.api('GET', '/api/v1/alerts?state=open')).body.alerts.map((a: { id: string }) => a.id)).toEqual([alert.id]);

    // false_positive stands: new places are still added.
    await t.api('POST', `/api/v1/alerts/${alert.id}/resolve`, { body: { resolution: 'false_positive' } });
    expect(await expose(k.key, { path: 'c.env' }, { public: false })).toMatchObject({
      state: 'resolved',
      resolution: 'false_positive',
      locationCount: 3,
    });

    // wont_fix on a key that is revoked by the time it turns up again stands too.
    const k2 = await key(ownerId, 'Old key');
    const a2 = await expose(k2.key, { path: 'x.env' }, { public: false });
    await t.api('POST', `/api/v1/alerts/${a2.id}/resolve`, { body: { resolution: 'wont_fix' } });
    await expose(k2.key, { path: 'y.env' }, { public: true }); // public: revoked by the policy, then recorded
    expect(await alerts.get(a2.id)).toMatchObject({ state: 'resolved', resolution: 'wont_fix', keyStatus: 'revoked', locationCount: 2 });
  });
});

describe('alerts API: export', () => {
  it('exports CSV (quoted, formula cells defused) and JSON with the filters applied', async () => {
    const ownerId = await owner('=Acme "Labs"');
    const k1 = await key(ownerId, '=HYPERLINK("http://evil.example","click")');
    const k2 = await key(ownerId, 'plain');
    const a1 = await expose(k1.key, { repo: 'octo-org/app', path: '+cmd.env' });
    await t.api('POST', `/api/v1/alerts/${a1.id}/resolve`, { body: { resolution: 'wont_fix', comment: '@SUM(1+1)\nsecond line' } });
    const a2 = await expose(k2.key, { repo: 'octo-org/other' });

    const csv = await fetch(`${t.url}/api/v1/alerts/export?format=csv`, {
      headers: { authorization: 'Bearer test-admin-token-0123456789' },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="neevscan-alerts-\d{4}-\d{2}-\d{2}\.csv"$/);
    const text = await csv.text();
    const lines = text.split('\r\n');
    expect(lines[0]!.startsWith('"id","state","resolution"')).toBe(true);
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(text).toContain(`"'=Acme ""Labs"""`);
    expect(text).toContain(`"'@SUM(1+1)\nsecond line"`);
    expect(text).toContain(a1.id);
    expect(text).toContain(a2.id);
    expect(text).not.toContain(k1.key);
    // No cell starts with a bare formula character.
    expect(text).not.toMatch(/(^|,)"[=+\-@]/m);

    const json = await t.api('GET', '/api/v1/alerts/export?format=json&state=open');
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ count: 1, truncated: false, filter: { state: 'open' } });
    expect(json.body.alerts).toEqual([expect.objectContaining({ id: a2.id, keyName: 'plain', ownerName: '=Acme "Labs"' })]);
    expect((await t.api('GET', '/api/v1/alerts/export?format=xml')).status).toBe(400);
  });
});

describe('OpenAPI and metrics', () => {
  it('describes /api/v1 (alerts included, webhooks and dashboard left out)', async () => {
    const res = await t.api('GET', '/api/v1/openapi.json', { token: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const paths = Object.keys(res.body.paths);
    for (const path of [
      '/api/v1/alerts',
      '/api/v1/alerts/{id}',
      '/api/v1/alerts/{id}/resolve',
      '/api/v1/alerts/{id}/reopen',
      '/api/v1/alerts/{id}/assign',
      '/api/v1/alerts/export',
      '/api/v1/keys',
      '/api/v1/tokens',
    ]) {
      expect(paths, path).toContain(path);
    }
    expect(paths.filter((p) => !p.startsWith('/api/v1/'))).toEqual([]);
    expect(
      res.body.paths['/api/v1/alerts/{id}/resolve'].post.requestBody.content['application/json'].schema.properties.resolution.enum,
    ).toEqual(['revoked', 'false_positive', 'used_in_tests', 'wont_fix']);
    expect(res.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('counts findings, revocations, push-to-revoke latency, alerts and review actions on /metrics', async () => {
    const value = async (name: string, labels: Record<string, string>) => {
      const metric = await registry.getSingleMetric(name)?.get();
      return (
        metric?.values.find(
          (v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l) && (v as { metricName?: string }).metricName !== `${name}_sum`,
        )?.value ?? 0
      );
    };
    const before = {
      revoked: await value('neevscan_findings_total', { source: 'push', outcome: 'revoked' }),
      revocations: await value('neevscan_revocations_total', { source: 'push' }),
      latency: await value('neevscan_push_to_revoke_seconds', { source: 'push', le: '+Inf' }),
      resolved: await value('neevscan_alert_review_actions_total', { action: 'resolved' }),
    };
    const k = await key(await owner(), 'metered');
    const alert = await expose(k.key);
    await t.api('POST', `/api/v1/alerts/${alert.id}/resolve`, { body: { resolution: 'revoked' } });
    expect(await value('neevscan_findings_total', { source: 'push', outcome: 'revoked' })).toBe(before.revoked + 1);
    expect(await value('neevscan_revocations_total', { source: 'push' })).toBe(before.revocations + 1);
    expect(await value('neevscan_push_to_revoke_seconds', { source: 'push', le: '+Inf' })).toBe(before.latency + 1);
    expect(await value('neevscan_alert_review_actions_total', { action: 'resolved' })).toBe(before.resolved + 1);
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/^neevscan_alerts\{state="resolved"\} [1-9]/m);
    expect(text).toContain('neevscan_push_to_revoke_seconds_bucket{le="1",source="push"}');
    expect(text).not.toContain(k.key);
    expect(text).not.toContain(k.hint);
  });
});

describe('nothing secret at rest', () => {
  it('keeps no raw key in the alert store, the audit trail or the indexes', async () => {
    const k = await key(await owner(), 'Production');
    const alert = await expose(k.key);
    await t.api('POST', `/api/v1/alerts/${alert.id}/resolve`, { body: { resolution: 'revoked', comment: 'done' } });
    const dump = Buffer.concat(await dumpPrefix(t.redis, `${t.prefix}{al:`));
    expect(dump.length).toBeGreaterThan(0);
    expect(dump.includes(k.key)).toBe(false);
  });
});
