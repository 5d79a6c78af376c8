import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { JOB_QUEUES } from '../../src/pipeline/registry.js';
import { NOTIFY_QUEUE, PUSH_QUEUE, queuePrefix } from '../../src/core/queue-names.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { makeSecretScanningKey, signSecretScanningPayload } from '../helpers/github/standin.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { INSTALLATION, deliver, startPipeline, until } from '../helpers/pipeline.js';
import { githubPushPayload } from '../helpers/push-payload.js';
import { startLocalCluster, type LocalCluster } from '../helpers/redis-cluster.js';
import { neevscanAsync } from '../helpers/cli.js';
import { freshPrefix, testRedis } from '../helpers/redis.js';
import { callApi, freePort } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

// The service's end-to-end paths with REDIS_CLUSTER_NODES: `serve` on a three-master Redis Cluster, the queues
// spread over the shards by their hash tags, the stores each on their own slot.
describe('the service on a Redis Cluster (REDIS_CLUSTER_NODES)', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startLocalCluster({ masters: 3 });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
  });

  it('spreads the queues over the masters: each queue whole on one slot', async () => {
    const masters = new Set<number>();
    for (const queue of JOB_QUEUES) masters.add(await cluster.masterOf(`${queuePrefix('neevscan:', queue)}:${queue}:wait`));
    expect(masters.size).toBeGreaterThan(1);
  });

  it('serves the key store API: owners, keys, authenticate, rotate, revoke', async () => {
    const { serve, owner, prefix } = await startPipeline(undefined, { cluster });
    expect(serve.output()).toContain(`Redis REDIS_CLUSTER_NODES=${cluster.nodes} (Redis Cluster)`);
    const created = await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Production' } });
    expect(created.status).toBe(201);
    expect((await callApi(serve.url, 'POST', '/api/v1/authenticate', { body: { key: created.body.key } })).status).toBe(200);
    const listed = await callApi(serve.url, 'GET', `/api/v1/keys?ownerId=${owner}`);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain(created.body.id);
    const rotated = await callApi(serve.url, 'POST', `/api/v1/keys/${created.body.id}/rotate`, { body: {} });
    expect(rotated.status).toBe(201);
    expect((await callApi(serve.url, 'POST', '/api/v1/authenticate', { body: { key: rotated.body.key } })).status).toBe(200);
    const revoked = await callApi(serve.url, 'POST', `/api/v1/keys/${rotated.body.id}/revoke`, { body: { reason: 'test' } });
    expect(revoked.status).toBe(200);
    expect((await callApi(serve.url, 'POST', '/api/v1/authenticate', { body: { key: rotated.body.key } })).status).not.toBe(200);
    // Nothing went to the single node at REDIS_URL.
    const single = testRedis();
    try {
      expect(await single.keys(`${prefix}*`)).toEqual([]);
    } finally {
      single.disconnect();
    }
  }, 120_000);

  it("runs the CLI's key commands straight on the cluster, and names REDIS_CLUSTER_NODES when it cannot reach it", async () => {
    const env = { REDIS_CLUSTER_NODES: cluster.nodes, NEEVSCAN_REDIS_PREFIX: freshPrefix(), NEEVSCAN_SERVER: '' };
    const owner = await neevscanAsync(['owners', 'create', '--name', 'Acme'], { env });
    expect(owner.status).toBe(0);
    const ownerId = JSON.parse(owner.stdout).id as string;
    const key = await neevscanAsync(['keys', 'create', '--owner', ownerId, '--name', 'cli key'], { env });
    expect(key.status).toBe(0);
    const listed = await neevscanAsync(['keys', 'list', '--owner', ownerId], { env });
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain('cli key');
    expect(listed.stdout).not.toContain(key.stdout.trim());
    const dead = await neevscanAsync(['owners', 'list'], { env: { ...env, REDIS_CLUSTER_NODES: `127.0.0.1:${await freePort()}` } });
    expect(dead.status).not.toBe(0);
    expect(dead.stderr).toContain('REDIS_CLUSTER_NODES=127.0.0.1:');
  }, 120_000);

  it('takes a partner report: revokes the key, records the alert, queues its notification', async () => {
    const signer = makeSecretScanningKey();
    const { serve, owner, redis, prefix } = await startPipeline(undefined, {
      cluster,
      standIn: { secretScanningKeys: [signer.publicKey] },
    });
    const active = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'active' } })).body;
    const unknown = generateKey();
    const url = 'https://github.com/octo-org/app/blob/1a2b3c/config/app.env';
    const body = JSON.stringify([
      { token: active.key, type: 'neevcloud_api_key', url, source: 'commit' },
      { token: unknown, type: 'neevcloud_api_key', url, source: 'commit' },
    ]);
    const res = await fetch(`${serve.url}/github/secret-scanning`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signSecretScanningPayload(body, signer) },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      { token_hash: sha256Hex(active.key), token_type: 'neevcloud_api_key', label: 'true_positive' },
      { token_hash: sha256Hex(unknown), token_type: 'neevcloud_api_key', label: 'false_positive' },
    ]);
    expect((await callApi(serve.url, 'GET', `/api/v1/keys/${active.id}`)).body).toMatchObject({
      status: 'revoked',
      revokedBy: 'leak-detector',
    });
    const alert = (await new AlertStore(redis, prefix).getByKeyId(active.id))!;
    expect(alert.locations).toEqual([expect.objectContaining({ source: 'partner', url })]);
    const notify = new Queue(NOTIFY_QUEUE, { connection: redis, prefix: queuePrefix(prefix, NOTIFY_QUEUE) });
    try {
      const jobs = await notify.getJobs(['delayed', 'waiting', 'active', 'completed', 'failed']);
      expect(jobs.map((job) => job.data.alertId)).toEqual([alert.id]);
    } finally {
      await notify.close();
    }
  }, 120_000);

  it('carries a push from webhook to revoked key, alert, check run and queued notification, once', async () => {
    const { gh, serve, owner, redis, prefix } = await startPipeline(undefined, { cluster });
    const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Web App' } })).body;
    const repo = TestRepo.init(join(tempDir(), 'app'));
    const base = repo.commit('initial', { 'README.md': '# app\n' });
    const head = repo.commit('add config', { 'config/app.env': `NEEV_API_KEY=${created.key}\n` });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION });
    const payload = githubPushPayload({
      owner: 'octo-org',
      name: 'app',
      private: false,
      before: base,
      after: head,
      installation: INSTALLATION,
    });
    expect((await deliver(serve.url, 'push', payload, 'cluster-a')).status).toBe(202);

    const revoked = await until(
      async () => {
        const record = (await callApi(serve.url, 'GET', `/api/v1/keys/${created.id}`)).body;
        return record.status === 'revoked' ? record : undefined;
      },
      'the key to be revoked',
      60_000,
    );
    expect(revoked.revokedReason).toContain('config/app.env');
    const alerts = new AlertStore(redis, prefix);
    const alert = await until(async () => (await alerts.getByKeyId(created.id)) ?? undefined, 'the alert', 30_000);
    expect(alert.locations).toEqual([
      expect.objectContaining({ source: 'push', repo: 'octo-org/app', path: 'config/app.env', commit: head }),
    ]);
    // The notification job sits on the notify queue's own slot, where the notifier reads it.
    expect(await redis.hget(`${queuePrefix(prefix, NOTIFY_QUEUE)}:${NOTIFY_QUEUE}:alert-${alert.id}`, 'data')).toBe(
      JSON.stringify({ alertId: alert.id }),
    );
    const run = await until(async () => gh.checkRuns.find((r) => r.head_sha === head && r.conclusion), 'the check run', 60_000);
    expect(run).toMatchObject({ conclusion: 'failure' });

    // A second delivery of the same push adds no location, no revocation, no check run.
    expect((await deliver(serve.url, 'push', payload, 'cluster-b')).status).toBe(202);
    const push = new Queue(PUSH_QUEUE, { connection: redis, prefix: queuePrefix(prefix, PUSH_QUEUE) });
    try {
      await until(async () => ((await push.getJobState('cluster-b')) === 'completed' ? true : undefined), 'the second push job', 60_000);
    } finally {
      await push.close();
    }
    expect((await alerts.getByKeyId(created.id))?.locations).toHaveLength(1);
    expect(gh.checkRuns.filter((r) => r.head_sha === head)).toHaveLength(1);
    expect(serve.output()).not.toContain(created.key);
  }, 180_000);
});
