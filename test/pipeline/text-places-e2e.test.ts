import { join } from 'node:path';
import { webhookExamples } from '../helpers/webhook-examples.js';
import { describe, expect, it } from 'vitest';
import { AlertStore } from '../../src/stores/alert-store.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { INSTALLATION, deliver, startPipeline as setup, until } from '../helpers/pipeline.js';
import { dumpPrefix } from '../helpers/redis.js';
import { callApi } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The places GitHub delivers text that is not an issue or a comment: commit
 * messages (in the push delivery), release names and notes, pull request
 * review bodies. Each, through `neevscan serve`: found, confirmed, revoked by
 * policy, alerted with its place and link, and never stored as text.
 */

type Payload = Record<string, any>;
const exampleOf = (event: string, match: (e: Payload) => boolean) =>
  structuredClone((webhookExamples as Array<{ name: string; examples: Payload[] }>).find((e) => e.name === event)!.examples.find(match)!);

const pushExample = exampleOf('push', (e) => e.ref === 'refs/heads/master' && e.installation);

function pushPayload(
  repo: { owner: string; name: string; private: boolean },
  before: string,
  commits: Array<{ id: string; message: string }>,
) {
  const now = new Date().toISOString();
  const listed = commits.map((c) => ({ ...pushExample.commits[0], id: c.id, message: c.message, timestamp: now }));
  return {
    ...pushExample,
    ref: 'refs/heads/main',
    before,
    after: commits.at(-1)!.id,
    created: false,
    deleted: false,
    forced: false,
    commits: listed,
    head_commit: listed.at(-1),
    repository: {
      ...pushExample.repository,
      pushed_at: Math.floor(Date.now() / 1000),
      name: repo.name,
      full_name: `${repo.owner}/${repo.name}`,
      owner: { ...pushExample.repository.owner, login: repo.owner, name: repo.owner },
      private: repo.private,
      default_branch: 'main',
      html_url: `https://github.com/${repo.owner}/${repo.name}`,
    },
    installation: { ...pushExample.installation, id: INSTALLATION },
  };
}

const keyRecord = async (url: string, id: string) => (await callApi(url, 'GET', `/api/v1/keys/${id}`)).body;

describe('commit messages, releases and pull request reviews', () => {
  it('a key in a commit message (files clean) is revoked on a public repository, alerted with the commit and its link; the check run still runs', async () => {
    const { gh, prefix, redis, serve, owner } = await setup();
    const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Deploy' } })).body;
    const repo = TestRepo.init(join(tempDir(), 'app'));
    const base = repo.commit('initial', { 'README.md': '# app\n' });
    const message = `Fix deploy\n\nTested with NEEV_API_KEY=${created.key}`;
    const head = repo.commit(message, { 'README.md': '# app\nfixed\n' });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION });

    const res = await deliver(
      serve.url,
      'push',
      pushPayload({ owner: 'octo-org', name: 'app', private: false }, base, [{ id: head, message }]),
      'msg-1',
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'queued', exposures: 1 });

    const revoked = await until(async () => {
      const record = await keyRecord(serve.url, created.id);
      return record.status === 'revoked' ? record : undefined;
    }, 'the key to be revoked');
    expect(revoked).toMatchObject({
      revokedBy: 'leak-detector',
      revokedReason: expect.stringContaining(`https://github.com/octo-org/app/commit/${head}`),
    });
    const alert = await until(async () => (await new AlertStore(redis, prefix).getByKeyId(created.id)) ?? undefined, 'the alert');
    expect(alert.locations).toEqual([
      {
        source: 'commit',
        repo: 'octo-org/app',
        path: null,
        line: 3,
        commit: head,
        url: `https://github.com/octo-org/app/commit/${head}`,
        seenAt: expect.any(String),
      },
    ]);
    // The push job ran as well (its files are clean) and the alert is listed under its new source.
    await until(async () => gh.checkRuns.find((r) => r.head_sha === head && r.conclusion), 'the check run');
    expect((await callApi(serve.url, 'GET', '/api/v1/alerts?source=commit')).body.alerts.map((a: { id: string }) => a.id)).toEqual([
      alert.id,
    ]);

    // A redelivery adds nothing; nothing stored holds the key or the message.
    expect(
      (
        await deliver(
          serve.url,
          'push',
          pushPayload({ owner: 'octo-org', name: 'app', private: false }, base, [{ id: head, message }]),
          'msg-1',
        )
      ).status,
    ).toBe(200);
    const dump = Buffer.concat(await dumpPrefix(redis, prefix));
    expect(dump.includes(created.key)).toBe(false);
    expect(dump.includes('Tested with')).toBe(false);
    expect(serve.output()).not.toContain(created.key);
  });

  it('a key in the message of a commit the delivery does not list (it lists 20) is found by the push worker, from the compare it reads anyway', async () => {
    const { gh, prefix, redis, serve, owner } = await setup();
    const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Old commit' } })).body;
    const repo = TestRepo.init(join(tempDir(), 'big'));
    const base = repo.commit('initial', { 'a.txt': '0\n' });
    const hidden = repo.commit(`wip\n\nkey=${created.key}`, { 'a.txt': '1\n' });
    const head = repo.commit('tidy', { 'a.txt': '2\n' });
    gh.addRepo({ owner: 'octo-org', name: 'big', path: repo.path, private: false, installationId: INSTALLATION });
    // As if the push had more than 20 commits: the delivery lists only the last.
    const res = await deliver(
      serve.url,
      'push',
      pushPayload({ owner: 'octo-org', name: 'big', private: false }, base, [{ id: head, message: 'tidy' }]),
      'msg-unlisted',
    );
    expect(await res.json()).toEqual({ status: 'queued' });
    await until(async () => ((await keyRecord(serve.url, created.id)).status === 'revoked' ? true : undefined), 'the key to be revoked');
    const alert = await until(async () => (await new AlertStore(redis, prefix).getByKeyId(created.id)) ?? undefined, 'the alert');
    expect(alert.locations).toEqual([
      {
        source: 'commit',
        repo: 'octo-org/big',
        path: null,
        line: 3,
        commit: hidden,
        url: `https://github.com/octo-org/big/commit/${hidden}`,
        seenAt: expect.any(String),
      },
    ]);
  });

  it('a key in a commit message on a private repository is alerted on, not revoked (REVOKE_POLICY=public); a tag push’s message is read too', async () => {
    const { gh, prefix, redis, serve, owner } = await setup();
    const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Internal' } })).body;
    const tagged = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Tagged' } })).body;
    const repo = TestRepo.init(join(tempDir(), 'internal'));
    const base = repo.commit('initial', { 'a.txt': 'a\n' });
    const head = repo.commit(`use ${created.key}`, { 'a.txt': 'b\n' });
    gh.addRepo({ owner: 'octo-org', name: 'internal', path: repo.path, private: true, installationId: INSTALLATION });
    expect(
      (
        await deliver(
          serve.url,
          'push',
          pushPayload({ owner: 'octo-org', name: 'internal', private: true }, base, [{ id: head, message: `use ${created.key}` }]),
          'msg-p',
        )
      ).status,
    ).toBe(202);
    const alerts = new AlertStore(redis, prefix);
    const alert = await until(async () => (await alerts.getByKeyId(created.id)) ?? undefined, 'the alert');
    expect(alert).toMatchObject({
      keyStatus: 'active',
      locations: [expect.objectContaining({ source: 'commit', repo: 'octo-org/internal', commit: head, line: 1 })],
    });
    expect((await keyRecord(serve.url, created.id)).status).toBe('active');

    // A tag push is no push job, but the messages it lists are still scanned (here on a public repository: revoked).
    const tagPush = {
      ...pushPayload({ owner: 'octo-org', name: 'internal', private: false }, base, [{ id: head, message: `release with ${tagged.key}` }]),
      ref: 'refs/tags/v1',
    };
    const res = await deliver(serve.url, 'push', tagPush, 'msg-tag');
    expect(await res.json()).toEqual({ status: 'queued', exposures: 1 });
    await until(
      async () => ((await keyRecord(serve.url, tagged.id)).status === 'revoked' ? true : undefined),
      'the tagged key to be revoked',
    );
  });

  it('a key in a release’s name or notes: revoked on a public repository, alerted with the release link; a draft release is not public', async () => {
    const { prefix, redis, serve, owner } = await setup();
    const inNotes = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Notes' } })).body;
    const inName = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Name' } })).body;
    const inDraft = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Draft' } })).body;
    const published = exampleOf('release', (e) => e.action === 'published');
    published.repository.private = false;
    published.release.body = `## Setup\n\nexport NEEV_API_KEY=${inNotes.key}\n`;
    const res = await deliver(serve.url, 'release', published, 'rel-1');
    expect(await res.json()).toEqual({ status: 'queued', exposures: 1 });

    const edited = exampleOf('release', (e) => e.action === 'edited');
    edited.repository.private = false;
    edited.release.name = `v1 ${inName.key}`;
    expect((await deliver(serve.url, 'release', edited, 'rel-2')).status).toBe(202);

    const draft = exampleOf('release', (e) => e.action === 'created');
    draft.repository.private = false;
    draft.release.draft = true;
    draft.release.body = inDraft.key;
    expect((await deliver(serve.url, 'release', draft, 'rel-3')).status).toBe(202);

    const alerts = new AlertStore(redis, prefix);
    for (const [key, line, release] of [
      [inNotes, 3, published],
      [inName, 1, edited],
    ] as const) {
      await until(async () => ((await keyRecord(serve.url, key.id)).status === 'revoked' ? true : undefined), 'the key to be revoked');
      expect((await keyRecord(serve.url, key.id)).revokedReason).toContain(release.release.html_url);
      const alert = await until(async () => (await alerts.getByKeyId(key.id)) ?? undefined, 'the alert');
      expect(alert.locations).toEqual([
        {
          source: 'release',
          repo: release.repository.full_name,
          path: null,
          line,
          commit: null,
          url: release.release.html_url,
          seenAt: expect.any(String),
        },
      ]);
    }
    const draftAlert = await until(async () => (await alerts.getByKeyId(inDraft.id)) ?? undefined, 'the draft alert');
    expect(draftAlert).toMatchObject({ keyStatus: 'active', locations: [expect.objectContaining({ source: 'release' })] });
    expect((await keyRecord(serve.url, inDraft.id)).status).toBe('active');

    // Deleting a release brings no text.
    const deleted = exampleOf('release', (e) => e.action === 'deleted');
    deleted.release.body = inNotes.key;
    expect(await (await deliver(serve.url, 'release', deleted, 'rel-4')).json()).toEqual({
      status: 'ignored',
      reason: 'no key in the text',
    });
  });

  it('a key in a pull request review’s body: revoked on a public repository, alerted with the review link; private: alerted only', async () => {
    const { prefix, redis, serve, owner } = await setup();
    const pub = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Public review' } })).body;
    const priv = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Private review' } })).body;
    const review = exampleOf('pull_request_review', (e) => e.action === 'submitted');
    review.repository.private = false;
    review.review.body = `Works for me with\n${pub.key}`;
    const res = await deliver(serve.url, 'pull_request_review', review, 'rev-1');
    expect(await res.json()).toEqual({ status: 'queued', exposures: 1 });

    const secret = exampleOf('pull_request_review', (e) => e.action === 'submitted');
    secret.repository.private = true;
    secret.review.body = priv.key;
    secret.review.html_url = `${secret.review.html_url}0`;
    expect((await deliver(serve.url, 'pull_request_review', secret, 'rev-2')).status).toBe(202);

    await until(async () => ((await keyRecord(serve.url, pub.id)).status === 'revoked' ? true : undefined), 'the key to be revoked');
    expect((await keyRecord(serve.url, pub.id)).revokedReason).toContain(review.review.html_url);
    const alerts = new AlertStore(redis, prefix);
    const alert = await until(async () => (await alerts.getByKeyId(pub.id)) ?? undefined, 'the alert');
    expect(alert.locations).toEqual([
      {
        source: 'pull_request_review',
        repo: review.repository.full_name,
        path: null,
        line: 2,
        commit: null,
        url: review.review.html_url,
        seenAt: expect.any(String),
      },
    ]);
    const quiet = await until(async () => (await alerts.getByKeyId(priv.id)) ?? undefined, 'the private alert');
    expect(quiet).toMatchObject({ keyStatus: 'active', locations: [expect.objectContaining({ source: 'pull_request_review', line: 1 })] });

    const dump = Buffer.concat(await dumpPrefix(redis, prefix));
    expect(dump.includes(pub.key)).toBe(false);
    expect(dump.includes('Works for me')).toBe(false);
  });
});
