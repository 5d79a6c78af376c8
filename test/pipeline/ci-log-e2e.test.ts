import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { webhookExamples } from '../helpers/webhook-examples.js';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuePrefix } from '../../src/core/queue-names.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { writeZip } from '../helpers/github/standin.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { INSTALLATION, deliver, startPipeline as setup, until } from '../helpers/pipeline.js';
import { dumpPrefix, REDIS_URL } from '../helpers/redis.js';
import { callApi } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * GitHub Actions logs, through `neevscan serve`: a signed `workflow_run` `completed` delivery (GitHub's own
 * example payload) → a ci-log job → the run's logs archive from the stand-in (302 → zip) → each step's log
 * scanned → confirm → revoke by policy → alert with the job, step, line and run link → the owner's mail.
 */

type Payload = Record<string, any>;
const completedExample = structuredClone(
  (webhookExamples as Array<{ name: string; examples: Payload[] }>)
    .find((e) => e.name === 'workflow_run')!
    .examples.find((e) => e.action === 'completed')!,
);
const RUN_ID = completedExample.workflow_run.id as number;
const HEAD_SHA = completedExample.workflow_run.head_sha as string;
const RUN_URL = `https://github.com/octo-org/app/actions/runs/${RUN_ID}`;
const FAST = { NEEVSCAN_NOTIFY_DELAY_MS: '300', NEEVSCAN_NOTIFY_BACKOFF_MS: '150' };

function runPayload(repo: { private: boolean }, runId = RUN_ID): Payload {
  return {
    ...completedExample,
    workflow_run: { ...completedExample.workflow_run, id: runId, html_url: `https://github.com/octo-org/app/actions/runs/${runId}` },
    repository: {
      ...completedExample.repository,
      name: 'app',
      full_name: 'octo-org/app',
      owner: { ...completedExample.repository.owner, login: 'octo-org' },
      private: repo.private,
      html_url: 'https://github.com/octo-org/app',
    },
    installation: { id: INSTALLATION, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=' },
  };
}

/** A step's log as GitHub writes it: every line begins with an ISO timestamp. */
const stepLog = (...lines: string[]) =>
  lines.map((line, i) => `2026-12-02T10:00:0${i}.${String(i).padStart(7, '0')}Z ${line}`).join('\n') + '\n';

function addApp(gh: Awaited<ReturnType<typeof setup>>['gh'], isPrivate: boolean): void {
  const repo = TestRepo.init(join(tempDir(), 'app'));
  repo.commit('initial', { 'README.md': '# app\n' });
  gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: isPrivate, installationId: INSTALLATION });
}

async function ciLogResult(prefix: string, deliveryId: string): Promise<Record<string, unknown>> {
  const queue = new Queue('ci-log', { connection: { url: REDIS_URL } as never, prefix: queuePrefix(prefix, 'ci-log') });
  try {
    return await until(async () => {
      const job = await queue.getJob(deliveryId);
      // Read again once completed: the job read above may predate its completion, and so its return value.
      if (job && (await job.isCompleted())) return (await queue.getJob(deliveryId))!.returnvalue as Record<string, unknown>;
      if (job && (await job.isFailed())) throw new Error(`the ci-log job failed: ${job.failedReason}`);
      return undefined;
    }, 'the ci-log job to complete');
  } finally {
    await queue.close();
  }
}

const keyStatus = async (url: string, id: string) => (await callApi(url, 'GET', `/api/v1/keys/${id}`)).body.status as string;

let smtp: SmtpSink;
beforeAll(async () => {
  smtp = await startSmtpSink();
});
afterAll(async () => {
  await smtp.close();
});

describe('GitHub Actions logs (workflow_run completed), from signed webhook to revoked key, alert and mail', () => {
  it('a public repository whose run echoed a live key: revoked, alerted as ci-log with job, step, line and run link, owner mailed; the archive is deleted', async () => {
    const tmp = tempDir();
    const { gh, prefix, redis, serve } = await setup(undefined, {
      env: { SMTP_URL: smtp.url, MAIL_FROM: 'NeevCloud Security <security@neevcloud.example>', TMPDIR: tmp, ...FAST },
    });
    const email = 'ci-owner@owner.example';
    const owner = (await callApi(serve.url, 'POST', '/api/v1/owners', { body: { name: 'CI', email } })).body.id as string;
    const key = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Deploy' } })).body;
    addApp(gh, false);
    const printed = stepLog('##[group]Run echo "key is $NEEV_API_KEY"', 'echo "key is $NEEV_API_KEY"', `key is ${key.key}`, '##[endgroup]');
    gh.setRunLogs('octo-org', 'app', RUN_ID, {
      entries: [
        { path: '0_build.txt', text: stepLog('Set up job') + printed },
        { path: 'build/1_Set up job.txt', text: stepLog('Current runner version: 2.321.0') },
        { path: 'build/3_Print config.txt', text: printed },
        { path: 'lint/1_Set up job.txt', text: stepLog('nothing here') },
      ],
    });

    const res = await deliver(serve.url, 'workflow_run', runPayload({ private: false }), 'run-public');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'queued', runs: 1 });

    await until(async () => ((await keyStatus(serve.url, key.id)) === 'revoked' ? true : undefined), 'the echoed key to be revoked');
    const alert = await until(async () => (await new AlertStore(redis, prefix).getByKeyId(key.id)) ?? undefined, 'the alert');
    // Once, in its step: the job's whole log (0_build.txt) repeats the steps and is not read again.
    expect(alert.locations).toEqual([
      expect.objectContaining({
        source: 'ci-log',
        repo: 'octo-org/app',
        path: 'build/3_Print config',
        job: 'build',
        step: '3_Print config',
        line: 3,
        commit: HEAD_SHA,
        url: RUN_URL,
      }),
    ]);
    expect(await ciLogResult(prefix, 'run-public')).toEqual({ scanned: 'yes', logs: 3, findings: 1, revoked: 1, notRead: [] });
    const mail = await until(async () => smtp.messages.find((m) => m.to.includes(email)), 'the owner mail');
    expect(mail.text).toContain('build/3_Print config');
    expect(mail.text).toContain(RUN_URL);
    expect(mail.text).not.toContain(key.key);
    // The logs were read as the installation: the 302, then the archive from where it pointed.
    const logRequests = gh.requests.filter((r) => r.path === `/repos/octo-org/app/actions/runs/${RUN_ID}/logs`);
    expect(logRequests.map((r) => r.status)).toEqual([302]);
    expect(String(logRequests[0]!.headers.authorization)).toMatch(/^token ghs_/);
    const archive = gh.requests.find((r) => r.path.startsWith('/_archives/'))!;
    expect(archive.status).toBe(200);
    expect(archive.headers.authorization).toBeUndefined();
    // No log text kept: not in Redis (job data, result, alert), not in the log, and the archive is gone from disk.
    expect(await dumpPrefix(redis, prefix)).not.toContain(key.key);
    expect(serve.output()).not.toContain(key.key);
    expect(readdirSync(tmp).filter((name) => name.startsWith('neevscan-ci-log-'))).toEqual([]);
  });

  it('a private repository under REVOKE_POLICY=public: alerted, not revoked', async () => {
    const { gh, prefix, redis, serve, owner } = await setup('public');
    const key = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Internal' } })).body;
    addApp(gh, true);
    gh.setRunLogs('octo-org', 'app', RUN_ID, {
      entries: [{ path: 'test/2_Run tests.txt', text: stepLog('env:', `  NEEV_API_KEY: ${key.key}`) }],
    });

    expect((await deliver(serve.url, 'workflow_run', runPayload({ private: true }), 'run-private')).status).toBe(202);
    expect(await ciLogResult(prefix, 'run-private')).toMatchObject({ scanned: 'yes', findings: 1, revoked: 0 });
    const alert = await until(async () => (await new AlertStore(redis, prefix).getByKeyId(key.id)) ?? undefined, 'the alert');
    expect(alert).toMatchObject({
      keyStatus: 'active',
      locations: [expect.objectContaining({ source: 'ci-log', path: 'test/2_Run tests', line: 2, url: RUN_URL })],
    });
    expect(await keyStatus(serve.url, key.id)).toBe('active');
  });

  it('an archive over NEEVSCAN_CI_LOG_MAX_BYTES is reported not scanned (never clean); expired (404) and deleted (410) logs end the job at once', async () => {
    const { gh, prefix, serve, owner } = await setup(undefined, { env: { NEEVSCAN_CI_LOG_MAX_BYTES: String(64 * 1024) } });
    const key = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Big' } })).body;
    addApp(gh, false);
    const noise = stepLog(...Array.from({ length: 3000 }, (_, i) => `line ${i} of a long build`));
    // Stored, not deflated: the archive itself is over the cap.
    gh.setRunLogs('octo-org', 'app', RUN_ID, {
      zip: writeZip([{ path: 'build/2_Build.txt', text: noise + stepLog(`token ${key.key}`) }], true),
    });
    gh.setRunLogs('octo-org', 'app', RUN_ID + 1, { status: 404 });
    gh.setRunLogs('octo-org', 'app', RUN_ID + 2, { status: 410 });

    expect((await deliver(serve.url, 'workflow_run', runPayload({ private: false }), 'run-big')).status).toBe(202);
    expect(await ciLogResult(prefix, 'run-big')).toEqual({
      scanned: 'too-large',
      logs: 0,
      findings: 0,
      revoked: 0,
      notRead: ['the archive: too large'],
    });
    expect(serve.output()).toMatch(
      new RegExp(`ci-log: logs of run ${RUN_ID} of octo-org/app not scanned: the archive is over 65536 bytes`),
    );
    expect(await keyStatus(serve.url, key.id)).toBe('active');
    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    expect(metrics).toMatch(/neevscan_scans_incomplete_total\{source="ci-log"\} 1/);

    expect((await deliver(serve.url, 'workflow_run', runPayload({ private: false }, RUN_ID + 1), 'run-expired')).status).toBe(202);
    expect((await deliver(serve.url, 'workflow_run', runPayload({ private: false }, RUN_ID + 2), 'run-deleted')).status).toBe(202);
    expect(await ciLogResult(prefix, 'run-expired')).toMatchObject({ scanned: 'gone', logs: 0 });
    expect(await ciLogResult(prefix, 'run-deleted')).toMatchObject({ scanned: 'gone', logs: 0 });
    // One request each: no retries.
    const asked = (id: number) => gh.requests.filter((r) => r.path === `/repos/octo-org/app/actions/runs/${id}/logs`).map((r) => r.status);
    expect(asked(RUN_ID + 1)).toEqual([404]);
    expect(asked(RUN_ID + 2)).toEqual([410]);
  });

  it('plans nothing for a run that is not completed', async () => {
    const { serve } = await setup();
    const requested = { ...runPayload({ private: false }), action: 'requested' };
    const res = await deliver(serve.url, 'workflow_run', requested, 'run-requested');
    expect(await res.json()).toMatchObject({ status: 'ignored' });
  });
});
