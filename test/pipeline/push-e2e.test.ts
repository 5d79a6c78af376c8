import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKey } from '../../src/key-format/key.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { INSTALLATION, deliver as deliverEvent, startPipeline as setup, until } from '../helpers/pipeline.js';
import { dumpPrefix } from '../helpers/redis.js';
import { callApi } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { githubPushPayload } from '../helpers/push-payload.js';

const deliver = (url: string, payload: unknown, delivery: string) => deliverEvent(url, 'push', payload, delivery);

/** GitHub's own push example, pointed at a repository of the stand-in. */
const pushPayload = (repo: { owner: string; name: string; private: boolean }, before: string, after: string) =>
  githubPushPayload({ ...repo, before, after, installation: INSTALLATION });

describe('a push, from signed webhook to revoked key, alert and check run', () => {
  it('revokes a key pushed to a public repository, once, and fails the check run', async () => {
    const { gh, prefix, redis, serve, owner } = await setup();
    const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Production Web App' } })).body;
    const other = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Data Pipeline' } })).body;

    const repo = TestRepo.init(join(tempDir(), 'app'));
    const base = repo.commit('initial', { 'README.md': '# app\n' });
    const head = repo.commit('add config', { 'config/app.env': `# settings\nNEEV_API_KEY=${created.key}\n` });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION });

    const payload = pushPayload({ owner: 'octo-org', name: 'app', private: false }, base, head);
    expect((await deliver(serve.url, payload, 'delivery-a')).status).toBe(202);

    const revoked = await until(async () => {
      const record = (await callApi(serve.url, 'GET', `/api/v1/keys/${created.id}`)).body;
      return record.status === 'revoked' ? record : undefined;
    }, 'the key to be revoked');
    expect(revoked).toMatchObject({ revokedBy: 'leak-detector', revokedReason: expect.stringContaining('octo-org/app') });
    expect(revoked.revokedReason).toContain('config/app.env');
    // The owner's other key keeps working.
    expect((await callApi(serve.url, 'POST', '/api/v1/authenticate', { body: { key: other.key } })).status).toBe(200);

    const alerts = new AlertStore(redis, prefix);
    const alert = await until(async () => (await alerts.getByKeyId(created.id)) ?? undefined, 'the alert');
    expect(alert).toMatchObject({ state: 'open', keyId: created.id, ownerId: owner, keyHint: created.hint, keyStatus: 'revoked' });
    expect(alert.revokeLatencyMs).toEqual(expect.any(Number));
    expect(alert.locations).toEqual([
      expect.objectContaining({
        source: 'push',
        repo: 'octo-org/app',
        path: 'config/app.env',
        line: 2,
        commit: head,
        url: `https://github.com/octo-org/app/blob/${head}/config/app.env#L2`,
      }),
    ]);

    // The owner's notification is queued, once, naming the alert (after the alert is written and the revocation proven).
    const notifyJob = `${prefix}{q:notify}:notify:alert-${alert.id}`;
    expect(await until(async () => (await redis.hget(notifyJob, 'data')) ?? undefined, 'the notify job')).toBe(
      JSON.stringify({ alertId: alert.id }),
    );

    const run = await until(async () => gh.checkRuns.find((r) => r.head_sha === head && r.conclusion), 'the check run');
    expect(run).toMatchObject({ name: 'neevscan', conclusion: 'failure' });
    expect(run.output.annotations).toEqual([
      expect.objectContaining({ path: 'config/app.env', start_line: 2, annotation_level: 'failure' }),
    ]);
    expect(JSON.stringify(run)).not.toContain(created.key);

    // A replayed delivery changes nothing; a new delivery of the same push revokes, alerts and annotates no more.
    expect((await deliver(serve.url, payload, 'delivery-a')).status).toBe(200);
    expect((await deliver(serve.url, payload, 'delivery-b')).status).toBe(202);
    await until(
      async () => (gh.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/check-runs/')).length > 0 ? true : undefined),
      'the second run of the push',
    );
    const again = await alerts.getByKeyId(created.id);
    expect(again?.locations).toHaveLength(1);
    expect((await callApi(serve.url, 'GET', `/api/v1/keys/${created.id}`)).body.revokedAt).toBe(revoked.revokedAt);
    expect(gh.checkRuns.filter((r) => r.head_sha === head)).toHaveLength(1);

    // Nothing the service wrote or logged holds the key.
    const dump = Buffer.concat(await dumpPrefix(redis, prefix));
    expect(dump.includes(created.key)).toBe(false);
    expect(serve.output()).not.toContain(created.key);
  });

  it('with REVOKE_POLICY=public, a key pushed to a private repository is alerted on, not revoked; a clean push passes', async () => {
    const { gh, prefix, redis, serve, owner } = await setup();
    const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Staging' } })).body;
    const repo = TestRepo.init(join(tempDir(), 'internal'));
    const base = repo.commit('initial', { 'a.txt': 'a\n' });
    const head = repo.commit('key', { 'src/settings.py': `API_KEY = "${created.key}"\n` });
    const clean = repo.commit('docs', { 'docs/readme.md': 'no secrets here\n' });
    gh.addRepo({ owner: 'octo-org', name: 'internal', path: repo.path, private: true, installationId: INSTALLATION });

    expect((await deliver(serve.url, pushPayload({ owner: 'octo-org', name: 'internal', private: true }, base, head), 'p-1')).status).toBe(
      202,
    );
    const alerts = new AlertStore(redis, prefix);
    const alert = await until(async () => (await alerts.getByKeyId(created.id)) ?? undefined, 'the alert');
    expect(alert).toMatchObject({ keyStatus: 'active', locations: [expect.objectContaining({ path: 'src/settings.py', line: 1 })] });
    expect((await callApi(serve.url, 'GET', `/api/v1/keys/${created.id}`)).body.status).toBe('active');

    expect((await deliver(serve.url, pushPayload({ owner: 'octo-org', name: 'internal', private: true }, head, clean), 'p-2')).status).toBe(
      202,
    );
    const passed = await until(async () => gh.checkRuns.find((r) => r.head_sha === clean && r.conclusion), 'the clean check run');
    expect(passed).toMatchObject({ name: 'neevscan', conclusion: 'success' });
  });

  it('a key that is not NeevCloud’s (valid checksum, unknown to the store) fails the check but creates no alert', async () => {
    const { gh, prefix, redis, serve } = await setup();
    const stranger = generateKey();
    const repo = TestRepo.init(join(tempDir(), 'x'));
    const base = repo.commit('initial', { 'a.txt': 'a\n' });
    const head = repo.commit('key', { 'a.txt': `a\n${stranger}\n` });
    gh.addRepo({ owner: 'octo-org', name: 'x', path: repo.path, private: false, installationId: INSTALLATION });
    expect((await deliver(serve.url, pushPayload({ owner: 'octo-org', name: 'x', private: false }, base, head), 'u-1')).status).toBe(202);
    const run = await until(async () => gh.checkRuns.find((r) => r.head_sha === head && r.conclusion), 'the check run');
    expect(run.conclusion).toBe('failure');
    expect(await new AlertStore(redis, prefix).list({})).toMatchObject({ alerts: [] });
  });

  it('revokes without waiting for the check run: GitHub failing check-run writes holds up no revocation', async () => {
    const { gh, serve, owner } = await setup();
    const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Web' } })).body;
    const repo = TestRepo.init(join(tempDir(), 'app'));
    const base = repo.commit('initial', { 'README.md': '# app\n' });
    const head = repo.commit('add config', { 'config/app.env': `NEEV_API_KEY=${created.key}\n` });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION });
    // Check-run writes answer 502 for a while: plugin-retry's 3 retries (1 + 4 + 9 s apart) all fail, so the job is retried by its queue.
    gh.fail({ path: /\/check-runs/, method: 'POST', times: 4, status: 502 });

    expect(
      (await deliver(serve.url, pushPayload({ owner: 'octo-org', name: 'app', private: false }, base, head), 'delivery-cr')).status,
    ).toBe(202);
    await until(
      async () => ((await callApi(serve.url, 'GET', `/api/v1/keys/${created.id}`)).body.status === 'revoked' ? true : undefined),
      'the key to be revoked',
    );
    expect(gh.checkRuns.filter((r) => r.head_sha === head)).toHaveLength(0);

    // The check run lands once GitHub answers again, with the outcome of the revocation.
    const run = await until(async () => gh.checkRuns.find((r) => r.head_sha === head && r.conclusion), 'the check run', 45_000);
    expect(run).toMatchObject({ name: 'neevscan', conclusion: 'failure' });
    expect(run.output.annotations?.[0]?.message).toContain('revoked at once');
    expect(gh.checkRuns.filter((r) => r.head_sha === head)).toHaveLength(1);
  }, 90_000);
});
