import { webhookExamples } from '../helpers/webhook-examples.js';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertStore } from '../../src/stores/alert-store.js';
import { deletePrefix, dumpPrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { callApi, spawnServe } from '../helpers/server.js';
import { WEBHOOK_SECRET, deliver as deliverEvent, until } from '../helpers/pipeline.js';

const deliver = (url: string, payload: unknown, delivery: string) => deliverEvent(url, 'issue_comment', payload, delivery);

const commentExample = (webhookExamples as Array<{ name: string; examples: Array<Record<string, any>> }>)
  .find((e) => e.name === 'issue_comment')!
  .examples.find((e) => e.action === 'created')!;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** GitHub's own issue_comment example, with the given body, on a public or private repository. */
function commentPayload(body: string, isPrivate: boolean) {
  const example = structuredClone(commentExample);
  return { ...example, comment: { ...example.comment, body }, repository: { ...example.repository, private: isPrivate } };
}

/**
 * `neevscan serve` with no GitHub App configured: text events need none (the
 * text arrives in the delivery), so their worker runs while pushes would wait.
 */
async function setup() {
  const prefix = freshPrefix();
  const redis = testRedis();
  cleanups.push(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });
  const serve = await spawnServe({ NEEVSCAN_REDIS_PREFIX: prefix, GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET });
  cleanups.push(serve.stop);
  const owner = (await callApi(serve.url, 'POST', '/api/v1/owners', { body: { name: 'Acme' } })).body.id as string;
  return { prefix, redis, serve, owner };
}

describe('a comment, from signed webhook to revoked key and alert', () => {
  it('revokes a key pasted into a comment on a public repository, and stores no raw key anywhere', async () => {
    const { prefix, redis, serve, owner } = await setup();
    const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Production Web App' } })).body;
    const payload = commentPayload(`It fails with my key:\n\n    NEEV_API_KEY=${created.key}\n`, false);

    const res = await deliver(serve.url, payload, 'comment-a');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'queued', exposures: 1 });

    const revoked = await until(async () => {
      const record = (await callApi(serve.url, 'GET', `/api/v1/keys/${created.id}`)).body;
      return record.status === 'revoked' ? record : undefined;
    }, 'the key to be revoked');
    expect(revoked).toMatchObject({ revokedBy: 'leak-detector', revokedReason: expect.stringContaining(payload.comment.html_url) });

    const alert = await until(async () => (await new AlertStore(redis, prefix).getByKeyId(created.id)) ?? undefined, 'the alert');
    expect(alert).toMatchObject({ state: 'open', keyId: created.id, ownerId: owner, keyHint: created.hint, keyStatus: 'revoked' });
    expect(alert.locations).toEqual([
      expect.objectContaining({
        source: 'comment',
        repo: payload.repository.full_name,
        path: null,
        line: 3,
        commit: null,
        url: payload.comment.html_url,
      }),
    ]);

    // A redelivery changes nothing.
    expect((await deliver(serve.url, payload, 'comment-a')).status).toBe(200);

    const dump = Buffer.concat(await dumpPrefix(redis, prefix));
    expect(dump.includes(created.key)).toBe(false);
    expect(dump.includes('It fails with my key')).toBe(false);
    expect(serve.output()).not.toContain(created.key);
  });

  it("revokes a key in an issue body behind `neevscan:allow`: the marker is the writer's, the alert records it", async () => {
    const { prefix, redis, serve, owner } = await setup();
    const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Marked' } })).body;
    const issueExample = (webhookExamples as Array<{ name: string; examples: Array<Record<string, any>> }>)
      .find((e) => e.name === 'issues')!
      .examples.find((e) => e.action === 'opened')!;
    const payload = {
      ...issueExample,
      issue: { ...issueExample.issue, body: `Repro:\n\n    NEEV_API_KEY=${created.key} # neevscan:allow\n` },
      repository: { ...issueExample.repository, private: false },
    };
    const res = await deliverEvent(serve.url, 'issues', payload, 'issue-allow');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'queued', exposures: 1 });
    await until(
      async () => ((await callApi(serve.url, 'GET', `/api/v1/keys/${created.id}`)).body.status === 'revoked' ? true : undefined),
      'the key to be revoked',
    );
    const alert = await until(async () => (await new AlertStore(redis, prefix).getByKeyId(created.id)) ?? undefined, 'the alert');
    expect(alert.locations).toEqual([expect.objectContaining({ source: 'issue', line: 3, allowMarker: true })]);
  });

  it('with REVOKE_POLICY unset (public), a key in a comment on a private repository is alerted on, not revoked', async () => {
    const { prefix, redis, serve, owner } = await setup();
    const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Staging' } })).body;
    const payload = commentPayload(`try ${created.key}`, true);
    expect((await deliver(serve.url, payload, 'comment-p')).status).toBe(202);

    const alert = await until(async () => (await new AlertStore(redis, prefix).getByKeyId(created.id)) ?? undefined, 'the alert');
    expect(alert).toMatchObject({
      keyStatus: 'active',
      locations: [expect.objectContaining({ source: 'comment', line: 1, url: payload.comment.html_url })],
    });
    expect((await callApi(serve.url, 'GET', `/api/v1/keys/${created.id}`)).body.status).toBe('active');

    const dump = Buffer.concat(await dumpPrefix(redis, prefix));
    expect(dump.includes(created.key)).toBe(false);
    expect(serve.output()).not.toContain(created.key);
  });
});
