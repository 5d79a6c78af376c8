import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commentPayload, commitKey, deliverPush, deliveriesOf, allAlerts, keyRecord, ownerWithKey, pause, startFaultRig, type FaultRig, type OwnedKey } from '../helpers/fault-rig.js';
import { deliver, until } from '../helpers/pipeline.js';

/**
 * A worker process killed with SIGKILL in the middle of a batch. `neevscan
 * serve` runs without the App (so it takes webhooks, exposures and
 * notifications but no pushes) and one `neevscan worker` takes the pushes;
 * GitHub is slowed so that pushes are in flight in that worker when it dies.
 * BullMQ finds the dead worker's jobs stalled once their locks lapse
 * (NEEVSCAN_JOB_LOCK_MS) and a new worker runs them again: every key is
 * revoked once, every alert is there with its place, every owner hears once.
 */

const PUSHES = 12;
const COMMENTS = 6;

let rig: FaultRig;
beforeAll(async () => {
  // Notices wait 5 s, so the kill lands in the pushes and not in a mail being sent: a worker killed in the middle of
  // a send leaves that channel claimed for 2 minutes (docs/RELIABILITY.md, "Faults", on that window).
  rig = await startFaultRig({ NEEVSCAN_NOTIFY_DELAY_MS: '5000' });
});
afterAll(async () => {
  await rig?.close();
});

describe('a worker killed mid-batch', () => {
  it('loses no push, revokes each key once and notifies each owner once', async () => {
    const serve = await rig.serve({}, { withApp: false });
    const pushKeys: OwnedKey[] = [];
    for (let i = 0; i < PUSHES; i++) pushKeys.push(await ownerWithKey(rig, serve.url, `push${i}`));
    const commentKeys: OwnedKey[] = [];
    for (let i = 0; i < COMMENTS; i++) commentKeys.push(await ownerWithKey(rig, serve.url, `comment${i}`));
    const pushes = pushKeys.map((key) => commitKey(rig, key));

    // Each compare takes 400 ms and the worker runs 4 pushes at once: the batch takes a few seconds.
    rig.gh.delay({ path: /\/compare\//, ms: 400 });
    const first = await rig.worker({ NEEVSCAN_PUSH_CONCURRENCY: '4' });

    const batchStart = Date.now();
    for (let i = 0; i < PUSHES; i++) {
      expect(await deliverPush(rig, serve.url, pushes[i]!, `kill-push-${i}`)).toBe(202);
      // The text events interleave with the pushes.
      if (i % 2 === 1) {
        const n = (i - 1) / 2;
        const key = commentKeys[n]!;
        expect((await deliver(serve.url, 'issue_comment', commentPayload(`oops ${key.key}`, n), `kill-comment-${n}`)).status).toBe(202);
      }
    }

    // Kill once some keys are revoked and the worker holds pushes in flight.
    const activeKey = `${rig.prefix}{bull}:push:active`;
    const atKill = await until(
      async () => {
        const revoked: Array<{ id: string; revokedAt: string | null; revokedReason: string | null }> = [];
        for (const key of pushKeys) {
          const record = await keyRecord(serve.url, key.id);
          if (record.status === 'revoked') revoked.push({ id: key.id, revokedAt: record.revokedAt, revokedReason: record.revokedReason });
        }
        const active = await rig.store.llen(activeKey);
        return revoked.length >= 4 && active > 0 ? { revoked, active } : undefined;
      },
      'pushes in flight with some keys revoked',
      20_000,
    );
    await first.kill();
    const killedAt = Date.now();
    expect(first.child.signalCode).toBe('SIGKILL');
    const second = await rig.worker({ NEEVSCAN_PUSH_CONCURRENCY: '4' });

    // Every key revoked, by the leak detector, once.
    const all = [...pushKeys, ...commentKeys];
    await until(
      async () => {
        for (const key of all) if ((await keyRecord(serve.url, key.id)).status !== 'revoked') return undefined;
        return true;
      },
      'every key revoked',
      40_000,
    );
    const recoveredMs = Date.now() - killedAt;
    for (const key of all) {
      const record = await keyRecord(serve.url, key.id);
      expect(record.revokedBy).toBe('leak-detector');
      // One revocation: the reason names one place, the push's file or the comment.
      expect(record.revokedReason!.match(/exposed/g)).toHaveLength(1);
    }
    for (const before of atKill.revoked) {
      const after = await keyRecord(serve.url, before.id);
      expect(after.revokedAt, 'revokedAt unchanged by the re-run').toBe(before.revokedAt);
      expect(after.revokedReason).toBe(before.revokedReason);
    }

    // Every alert, each with exactly its one place.
    const alerts = await allAlerts(rig, all);
    for (const [i, key] of pushKeys.entries()) {
      const alert = alerts.get(key.id)!;
      expect(alert.locations).toEqual([expect.objectContaining({ source: 'push', path: `config/${key.name}.env`, line: 2, commit: pushes[i]!.after })]);
      expect(alert.keyStatus).toBe('revoked');
    }
    for (const key of commentKeys) expect(alerts.get(key.id)!.locations).toEqual([expect.objectContaining({ source: 'comment' })]);

    // Every push reported once on its commit.
    await until(async () => (pushes.every((p) => rig.gh.checkRuns.some((r) => r.head_sha === p.after && r.conclusion)) ? true : undefined), 'every check run', 30_000);
    for (const p of pushes) expect(rig.gh.checkRuns.filter((r) => r.head_sha === p.after)).toHaveLength(1);

    // Every owner hears once: one mail, one webhook, and nothing more after a pause.
    await until(async () => (all.every((key) => deliveriesOf(rig, key).mails >= 1 && deliveriesOf(rig, key).hooks >= 1) ? true : undefined), 'every notification', 30_000);
    await pause(2000);
    for (const key of all) expect(deliveriesOf(rig, key), key.name).toEqual({ mails: 1, hooks: 1 });
    // The new worker found the dead one's pushes stalled and ran them again.
    const stalled = (second.output() + serve.output())
      .split('\n')
      .filter((line) => / job \S+ stalled/.test(line))
      .map((line) => JSON.parse(line) as { time: number; msg: string });
    const stalledPushes = stalled.filter((line) => line.msg.startsWith('push job'));
    expect(stalledPushes.length).toBeGreaterThan(0);
    const firstStalledMs = Math.min(...stalled.map((line) => line.time)) - killedAt;

    const totalMs = Date.now() - batchStart;
    console.log(
      `worker kill: ${PUSHES} pushes + ${COMMENTS} comments; killed with ${atKill.active} pushes in flight and ${atKill.revoked.length} keys revoked; ` +
        `${stalled.length} stalled jobs (${stalledPushes.length} pushes) found ${firstStalledMs} ms after the kill; all ${all.length} keys revoked ${recoveredMs} ms after the kill; ` +
        `${all.length} mails and ${all.length} webhooks, one each; batch done in ${totalMs} ms`,
    );
  }, 90_000);
});
