import { join } from 'node:path';
import { webhookExamples } from '../helpers/webhook-examples.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration, formatTime } from '../../src/util/text.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { INSTALLATION, WEBHOOK_SECRET, deliver, startPipeline as setup, until } from '../helpers/pipeline.js';
import { callApi } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.js';
import { tempDir } from '../helpers/tmp.js';
import { githubPushPayload } from '../helpers/push-payload.js';

/**
 * Times in a signed delivery, through `neevscan serve`: push-to-revoke runs
 * from the push (`repository.pushed_at`), not from when the commit was made
 * (`head_commit.timestamp`, the committer's own clock), which is shown apart as
 * "committed"; and a time outside any sane window is not kept.
 */

type Payload = Record<string, any>;
const exampleOf = (event: string, match: (e: Payload) => boolean) =>
  structuredClone((webhookExamples as Array<{ name: string; examples: Payload[] }>).find((e) => e.name === event)!.examples.find(match)!);

const MINUTE = 60_000;
const WEEK = 7 * 24 * 60 * MINUTE;
const FAST = { NEEVSCAN_NOTIFY_DELAY_MS: '500', NEEVSCAN_NOTIFY_BACKOFF_MS: '150', NEEVSCAN_NOTIFY_FOLLOW_UP_SECONDS: '2' };

let smtp: SmtpSink;
beforeAll(async () => {
  smtp = await startSmtpSink();
});
afterAll(async () => {
  await smtp.close();
});

const pushPayload = (name: string, before: string, after: string, times: { committed: unknown; pushed: unknown }) =>
  githubPushPayload({ name, before, after, installation: INSTALLATION, committedAt: times.committed, pushedAt: times.pushed });

/** A sane stored time: within a minute of the test's own clock window. */
const sane = (iso: string | null | undefined, from: number, to: number) =>
  typeof iso === 'string' && Date.parse(iso) >= from - MINUTE && Date.parse(iso) <= to + MINUTE;

describe('push-to-revoke is timed from the push', () => {
  for (const [age, label] of [
    [MINUTE, 'a minute'],
    [WEEK, 'a week'],
  ] as const) {
    it(`a commit made ${label} before its push: revokeLatencyMs is the push's, the mail says so, and shows the commit time apart`, async () => {
      const { gh, prefix, redis, serve } = await setup(undefined, {
        env: { SMTP_URL: smtp.url, MAIL_FROM: 'NeevCloud Security <security@neevcloud.example>', ...FAST },
      });
      const email = `owner-${age}@owner.example`;
      const owner = (await callApi(serve.url, 'POST', '/api/v1/owners', { body: { name: 'Timed', email } })).body.id as string;
      const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Web' } })).body;
      const repo = TestRepo.init(join(tempDir(), 'app'));
      const base = repo.commit('initial', { 'README.md': '# app\n' });
      const head = repo.commit('config', { 'app.env': `NEEV_API_KEY=${created.key}\n` });
      gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION });

      const sentAt = Date.now();
      const committed = new Date(sentAt - age).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const payload = pushPayload('app', base, head, { committed, pushed: Math.floor(sentAt / 1000) });
      expect((await deliver(serve.url, 'push', payload, `timed-${age}`, WEBHOOK_SECRET)).status).toBe(202);

      const revoked = await until(async () => {
        const record = (await callApi(serve.url, 'GET', `/api/v1/keys/${created.id}`)).body;
        return record.status === 'revoked' ? record : undefined;
      }, 'the key to be revoked');
      const real = Date.parse(revoked.revokedAt) - sentAt;
      const alert = await until(async () => (await new AlertStore(redis, prefix).getByKeyId(created.id)) ?? undefined, 'the alert');
      // GitHub's pushed_at has whole seconds: the latency is the real one, plus at most the second it was cut to.
      expect(alert.revokeLatencyMs).toBeGreaterThanOrEqual(real);
      expect(alert.revokeLatencyMs).toBeLessThanOrEqual(real + 1000);
      expect(alert.pushedAt).toBe(new Date(Math.floor(sentAt / 1000) * 1000).toISOString());
      expect(alert.committedAt).toBe(new Date(committed).toISOString());
      expect(alert.timeline.map((t) => t.event).slice(0, 2)).toEqual(['committed', 'pushed']);

      const mail = await until(async () => smtp.messages.find((m) => m.to.includes(email)), 'the owner mail');
      expect(mail.text).toContain(`(${formatDuration(alert.revokeLatencyMs!)} after the push)`);
      expect(mail.text).toContain(`Committed: ${formatTime(alert.committedAt)}`);
      expect(mail.text).toContain(`Pushed:   ${formatTime(alert.pushedAt)}`);
    });
  }

  it('without pushed_at, latency runs from the delivery’s receipt, never from the commit time', async () => {
    const { gh, prefix, redis, serve, owner } = await setup();
    const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Web' } })).body;
    const repo = TestRepo.init(join(tempDir(), 'app'));
    const base = repo.commit('initial', { 'README.md': '# app\n' });
    const head = repo.commit('config', { 'app.env': `NEEV_API_KEY=${created.key}\n` });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION });
    const sentAt = Date.now();
    const payload = pushPayload('app', base, head, { committed: new Date(sentAt - WEEK).toISOString(), pushed: undefined });
    delete payload.repository.pushed_at;
    expect((await deliver(serve.url, 'push', payload, 'no-pushed-at')).status).toBe(202);
    const alert = await until(async () => {
      const found = await new AlertStore(redis, prefix).getByKeyId(created.id);
      return found?.keyStatus === 'revoked' ? found : undefined;
    }, 'the alert');
    expect(alert.pushedAt).toBeNull();
    expect(alert.revokeLatencyMs).toBeLessThanOrEqual(Date.parse(alert.revokedAt!) - sentAt);
  });
});

describe('times outside any sane window', () => {
  it('a signed push, comment and release with years −271821 and +275760: alerts made, keys revoked, every stored time sane', async () => {
    const { gh, prefix, redis, serve, owner } = await setup();
    const keys = [];
    for (const name of ['push', 'comment', 'release'])
      keys.push((await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name } })).body);
    const [pushed, commented, released] = keys;
    const repo = TestRepo.init(join(tempDir(), 'app'));
    const base = repo.commit('initial', { 'README.md': '# app\n' });
    const head = repo.commit('config', { 'app.env': `NEEV_API_KEY=${pushed.key}\n` });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION });

    const from = Date.now();
    // The earliest and latest times JavaScript dates hold: valid dates, absurd times. pushed_at in Unix seconds, as GitHub sends it.
    const payload = pushPayload('app', base, head, { committed: '-271821-04-20T00:00:00Z', pushed: 8.64e12 });
    expect((await deliver(serve.url, 'push', payload, 'absurd-push')).status).toBe(202);

    const comment = exampleOf('issue_comment', (e) => e.action === 'created');
    comment.repository.private = false;
    comment.comment.body = `key ${commented.key}`;
    comment.comment.created_at = '+275760-09-13T00:00:00Z';
    comment.comment.updated_at = '-271821-04-20T00:00:00Z';
    expect((await deliver(serve.url, 'issue_comment', comment, 'absurd-comment')).status).toBe(202);

    const release = exampleOf('release', (e) => e.action === 'published');
    release.repository.private = false;
    release.release.body = released.key;
    release.release.published_at = '+275760-09-13T00:00:00Z';
    release.release.created_at = -8.64e15;
    expect((await deliver(serve.url, 'release', release, 'absurd-release')).status).toBe(202);

    const alerts = new AlertStore(redis, prefix);
    for (const key of keys) {
      const alert = await until(async () => {
        const found = await alerts.getByKeyId(key.id);
        return found?.keyStatus === 'revoked' ? found : undefined;
      }, `the ${key.name} alert`);
      const to = Date.now();
      expect(alert.pushedAt, key.name).toBeNull();
      expect(alert.committedAt ?? null, key.name).toBeNull();
      for (const entry of alert.timeline) expect(sane(entry.at, from, to), `${key.name} ${entry.event} ${entry.at}`).toBe(true);
      expect(alert.revokeLatencyMs).toBeLessThanOrEqual(to - from);
      // The alert as the API answers it, usage window included, holds only sane times.
      const detail = (await callApi(serve.url, 'GET', `/api/v1/alerts/${alert.id}`)).body;
      expect(sane(detail.usageSinceExposure.since, from, to)).toBe(true);
    }
  });
});
