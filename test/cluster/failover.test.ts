import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFY_QUEUE, PUSH_QUEUE, queuePrefix } from '../../src/core/queue-names.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { INSTALLATION, deliver, startPipeline, until } from '../helpers/pipeline.js';
import { githubPushPayload } from '../helpers/push-payload.js';
import { startLocalCluster, type LocalCluster } from '../helpers/redis-cluster.js';
import { callApi } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

const PUSHES = 12;

/** Delivers until the receiver takes it (a 5xx is what GitHub retries). */
async function deliverUntilTaken(url: string, payload: unknown, id: string): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    const status = (await deliver(url, 'push', payload, id).catch(() => null))?.status;
    if (status === 202 || status === 200) return;
    if (attempt > 100) throw new Error(`delivery ${id} never taken (last status ${status})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The master holding the push queue dies with pushes in flight: jobs waiting, running (locked by workers),
 * completing. Its replica takes over; every push is then carried out exactly once: each key revoked once, one
 * alert location, one check run, one notification job. The receiver runs with NEEVSCAN_REDIS_WAIT_REPLICAS=1: each
 * 202 came after the replica of the push queue's master confirmed the delivery's job, so every acknowledged push is
 * on the replica when its master dies; what follows the adds (moves to active, locks, completions) is not waited
 * for, so the failover replays some of it, and the pipeline must absorb that.
 */
describe('failover of the push queue master mid-batch (3 masters, 1 replica each)', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startLocalCluster({ masters: 3, replicas: 1 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
  });

  it('loses and doubles nothing', async () => {
    // Each phase is written as it ends (straight to stdout, not held with the test's console), so a run that
    // overruns shows where the time went.
    const started = Date.now();
    const phase = (name: string) => process.stdout.write(`failover: ${name} at ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    // A long timeout: on this quiet cluster the replica confirms within milliseconds, and a short WAIT fails the test below.
    const { gh, serve, owner, redis, prefix } = await startPipeline(undefined, {
      cluster,
      env: { NEEVSCAN_REDIS_WAIT_REPLICAS: '1', NEEVSCAN_REDIS_WAIT_TIMEOUT_MS: '5000' },
    });
    const keys: Array<{ id: string; key: string }> = [];
    for (let i = 0; i < PUSHES; i += 1) {
      const created = await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: `key ${i}` } });
      expect(created.status).toBe(201);
      keys.push(created.body);
    }
    const repo = TestRepo.init(join(tempDir(), 'app'));
    const shas = [repo.commit('initial', { 'README.md': '# app\n' })];
    for (let i = 0; i < PUSHES; i += 1) shas.push(repo.commit(`config ${i}`, { [`config/${i}.env`]: `NEEV_API_KEY=${keys[i]!.key}\n` }));
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION });

    const pushQueueTag = queuePrefix(prefix, PUSH_QUEUE);
    const master = await cluster.masterOf(pushQueueTag);
    await Promise.all(
      keys.map((_, i) =>
        deliverUntilTaken(
          serve.url,
          githubPushPayload({
            owner: 'octo-org',
            name: 'app',
            private: false,
            before: shas[i]!,
            after: shas[i + 1]!,
            installation: INSTALLATION,
          }),
          `failover-${i}`,
        ),
      ),
    );
    // No WAIT of the test's own: the receiver's, one per delivery, each confirmed by the replica before the 202.
    phase('every delivery taken');
    const waits = (await (await fetch(`${serve.url}/metrics`)).text())
      .split('\n')
      .filter((l) => l.startsWith('neevscan_redis_wait_total{'));
    expect(waits).toEqual([`neevscan_redis_wait_total{queue="push",outcome="confirmed"} ${PUSHES}`]);
    const push = new Queue(PUSH_QUEUE, { connection: redis, prefix: pushQueueTag });
    const beforeKill = await push.getJobCounts('waiting', 'active', 'completed');
    const killedAt = Date.now();
    await cluster.kill(master);
    await cluster.waitHealthy(60_000);
    const failoverMs = Date.now() - killedAt;
    phase('slots served again');
    expect(await cluster.masterOf(pushQueueTag)).not.toBe(master);

    // Every key revoked, once.
    const revokedAt = new Map<string, string>();
    await until(
      async () => {
        for (const key of keys) {
          if (revokedAt.has(key.id)) continue;
          const record = (await callApi(serve.url, 'GET', `/api/v1/keys/${key.id}`)).body;
          if (record?.status === 'revoked') revokedAt.set(key.id, record.revokedAt);
        }
        return revokedAt.size === keys.length ? true : undefined;
      },
      'every key to be revoked after the failover',
      120_000,
    );
    phase('every key revoked');
    await until(
      async () => ((await push.getJobCounts('completed')).completed === PUSHES ? true : undefined),
      'every push job to complete',
      120_000,
    );
    phase('every push job completed');
    const runsDone = await until(
      async () => (shas.slice(1).every((sha) => gh.checkRuns.some((r) => r.head_sha === sha && r.conclusion)) ? true : undefined),
      'a finished check run for every push',
      120_000,
    );
    expect(runsDone).toBe(true);
    phase('every check run finished');

    const alerts = new AlertStore(redis, prefix);
    const notify = new Queue(NOTIFY_QUEUE, { connection: redis, prefix: queuePrefix(prefix, NOTIFY_QUEUE) });
    try {
      const notifyJobs = await notify.getJobs(['delayed', 'waiting', 'active', 'completed', 'failed']);
      for (const [i, key] of keys.entries()) {
        const record = (await callApi(serve.url, 'GET', `/api/v1/keys/${key.id}`)).body;
        expect(record.revokedAt).toBe(revokedAt.get(key.id));
        const alert = (await alerts.getByKeyId(key.id))!;
        expect(alert.locations).toEqual([expect.objectContaining({ source: 'push', path: `config/${i}.env`, commit: shas[i + 1] })]);
        expect(gh.checkRuns.filter((r) => r.head_sha === shas[i + 1])).toHaveLength(1);
        expect(notifyJobs.filter((job) => job.data.alertId === alert.id).map((job) => job.id)).toEqual([`alert-${alert.id}`]);
      }
      expect((await push.getJobCounts('failed')).failed).toBe(0);
    } finally {
      await notify.close();
      await push.close();
    }
    // Stopped here, inside this test's own time: after a failover, BullMQ's close can use most of serve's 25 s grace
    // (a blocking connection to the dead master), which with the cluster-wide key cleanup overran the 30 s cleanup hook.
    phase('records checked');
    await serve.stop();
    phase('serve stopped');
    // A socket to a cluster node can outlive serve's close after the failover; serve names it and exits anyway.
    for (const line of serve.output().split('\n')) if (line.includes('held open')) process.stdout.write(`failover: serve said ${line}\n`);
    // The figures for docs/SCALING.md ("Measured").
    process.stdout.write(
      `failover: ${PUSHES} pushes; at the kill waiting=${beforeKill.waiting} active=${beforeKill.active} completed=${beforeKill.completed}; ` +
        `slots served again after ${failoverMs} ms; every push done once\n`,
    );
  }, 300_000);
});
