import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUSH_QUEUE } from '../../src/core/queue-names.js';
import {
  allAlerts,
  commentPayload,
  commitKey,
  deliverPush,
  deliveriesOf,
  keyRecord,
  ownerWithKey,
  pause,
  pushPayload,
  startFaultRig,
  type FaultRig,
  type OwnedKey,
} from '../helpers/fault-rig.js';
import type { PushJob } from '../../src/pipeline/queues.js';
import { WEBHOOK_SECRET, deliver, until } from '../helpers/pipeline.js';
import { enqueueTo, startServer } from '../helpers/server.js';

/**
 * Redis stopped (SIGTERM; its append-only file keeps the data) and started
 * again on the same port and folder while `neevscan serve` runs. While it is
 * away: /readyz answers 503 and every webhook 503 (GitHub marks the delivery
 * failed and it is redelivered), never 202 for something not queued. When it
 * is back the service recovers by itself: ready again, redeliveries taken,
 * jobs queued before the outage finished, and nothing done twice.
 */

let rig: FaultRig;
beforeAll(async () => {
  rig = await startFaultRig();
});
afterAll(async () => {
  await rig?.close();
});

const readyz = async (url: string) => (await fetch(`${url}/readyz`)).status;

describe('Redis restarted under the service', () => {
  it('answers 503 while Redis is away, recovers by itself, and loses no delivery or job', async () => {
    const serve = await rig.serve();
    const early: OwnedKey[] = [];
    for (let i = 0; i < 4; i++) early.push(await ownerWithKey(rig, serve.url, `early${i}`));
    const earlyComments: OwnedKey[] = [];
    for (let i = 0; i < 2; i++) earlyComments.push(await ownerWithKey(rig, serve.url, `earlytext${i}`));
    const streamed: OwnedKey[] = [];
    for (let i = 0; i < 24; i++) streamed.push(await ownerWithKey(rig, serve.url, `stream${i}`));
    const late = await ownerWithKey(rig, serve.url, 'late');
    const earlyPushes = early.map((key) => commitKey(rig, key));
    const latePush = commitKey(rig, late);

    // Pushes queued before the outage are still being fetched when Redis goes.
    rig.gh.delay({ path: /\/compare\//, ms: 1500, times: earlyPushes.length });
    for (const [i, push] of earlyPushes.entries()) expect(await deliverPush(rig, serve.url, push, `rr-early-${i}`)).toBe(202);
    for (const [i, key] of earlyComments.entries())
      expect((await deliver(serve.url, 'issue_comment', commentPayload(`key ${key.key}`, 100 + i), `rr-early-text-${i}`)).status).toBe(202);

    // Deliveries keep arriving across the stop and the start: each is answered 202 (queued) or 503 (redeliver).
    const answers = new Map<number, number>();
    let streaming = true;
    const stream = (async () => {
      for (let i = 0; i < streamed.length && streaming; i++) {
        const key = streamed[i]!;
        answers.set(i, (await deliver(serve.url, 'issue_comment', commentPayload(`mine: ${key.key}`, 200 + i), `rr-stream-${i}`)).status);
        await pause(150);
      }
    })();

    await pause(300);
    const stoppedAt = Date.now();
    await rig.redis.stop();
    await until(async () => ((await readyz(serve.url)) === 503 ? true : undefined), '/readyz 503', 5000);
    const notReadyMs = Date.now() - stoppedAt;

    const refused = await deliver(serve.url, 'push', pushPayload(rig, latePush.before, latePush.after), 'rr-late');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    await refused.text();

    await pause(2500);
    expect(await readyz(serve.url)).toBe(503);
    const restartedAt = Date.now();
    await rig.redis.start();
    await until(async () => ((await readyz(serve.url)) === 200 ? true : undefined), '/readyz 200 again', 15_000);
    const readyAgainMs = Date.now() - restartedAt;
    const outageMs = restartedAt - stoppedAt;
    await pause(500);
    streaming = false;
    await stream;

    // Only 202 and 503: never an answer that tells GitHub "done" for what was not queued, nor a 500.
    const statuses = [...answers.values()];
    expect(
      statuses.every((s) => s === 202 || s === 503),
      `answers ${statuses.join(',')}`,
    ).toBe(true);
    const unavailable = statuses.filter((s) => s === 503).length;
    expect(unavailable).toBeGreaterThan(0);

    // GitHub's redeliveries: the same delivery ids, now taken.
    expect(await deliverPush(rig, serve.url, latePush, 'rr-late')).toBe(202);
    for (const [i, status] of answers) {
      if (status === 202) continue;
      const key = streamed[i]!;
      expect((await deliver(serve.url, 'issue_comment', commentPayload(`mine: ${key.key}`, 200 + i), `rr-stream-${i}`)).status).toBe(202);
    }
    const sent = streamed.filter((_, i) => answers.has(i));

    const all = [...early, ...earlyComments, late, ...sent];
    await until(
      async () => {
        for (const key of all) if ((await keyRecord(serve.url, key.id)).status !== 'revoked') return undefined;
        return true;
      },
      'every key revoked',
      40_000,
    );
    const allRevokedMs = Date.now() - restartedAt;
    for (const key of all) expect((await keyRecord(serve.url, key.id)).revokedReason!.match(/exposed/g)).toHaveLength(1);
    const alerts = await allAlerts(rig, all);
    for (const key of all) expect(alerts.get(key.id)!.locations).toHaveLength(1);
    for (const p of [...earlyPushes, latePush])
      await until(async () => rig.gh.checkRuns.find((r) => r.head_sha === p.after && r.conclusion), 'the check run', 30_000);

    await until(
      async () => (all.every((key) => deliveriesOf(rig, key).mails >= 1 && deliveriesOf(rig, key).hooks >= 1) ? true : undefined),
      'every notification',
      30_000,
    );
    await pause(1500);
    for (const key of all) expect(deliveriesOf(rig, key), key.name).toEqual({ mails: 1, hooks: 1 });
    for (const p of [...earlyPushes, latePush]) expect(rig.gh.checkRuns.filter((r) => r.head_sha === p.after)).toHaveLength(1);

    if (process.env.FAULTS_DEBUG) console.log(serve.output());
    console.log(
      `redis restart: outage ${outageMs} ms; /readyz 503 within ${notReadyMs} ms of the stop, 200 again ${readyAgainMs} ms after the start; ` +
        `${statuses.length} streamed deliveries (${unavailable} answered 503, redelivered) + 1 push refused and redelivered; ` +
        `${earlyPushes.length} pushes and ${earlyComments.length} comments queued before the outage; all ${all.length} keys revoked ${allRevokedMs} ms after the start, one mail and one webhook each`,
    );
  }, 90_000);
});

describe('Redis lost between remembering a delivery and queueing it', () => {
  it('the delivery is answered 503 and GitHub’s redelivery is queued, not taken for a duplicate', async () => {
    const queued: PushJob[] = [];
    let calls = 0;
    const server = await startServer(
      { REDIS_URL: rig.redis.url, GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET },
      {
        // The first enqueue finds Redis gone: it stops right after the receiver's own first write.
        enqueue: enqueueTo({
          [PUSH_QUEUE]: async (jobs) => {
            if (calls++ === 0) {
              await rig.redis.stop();
              throw new Error('Redis went away');
            }
            queued.push(...jobs.map((job) => job.data as PushJob));
          },
        }),
      },
    );
    try {
      const before = rig.repo.git.git('rev-parse', 'HEAD');
      const push = { before, after: rig.repo.git.commit('docs', { 'docs/between.md': 'no key here\n' }) };
      const first = await deliver(server.url, 'push', pushPayload(rig, push.before, push.after), 'rr-between');
      expect(first.status).toBe(503);
      await rig.redis.start();
      await until(async () => ((await readyz(server.url)) === 200 ? true : undefined), '/readyz 200 again', 15_000);
      const again = await deliver(server.url, 'push', pushPayload(rig, push.before, push.after), 'rr-between');
      expect(again.status, 'the redelivery is queued').toBe(202);
      expect(queued.map((j) => j.deliveryId)).toEqual(['rr-between']);
      // And a real duplicate after that is still recognised.
      expect((await deliver(server.url, 'push', pushPayload(rig, push.before, push.after), 'rr-between')).status).toBe(200);
    } finally {
      if (!rig.redis.running) await rig.redis.start();
      await server.close();
    }
  }, 40_000);
});
