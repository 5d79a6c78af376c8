import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webhookExamples } from './webhook-examples.js';
import { Redis } from 'ioredis';
import { AlertStore, type Alert } from '../../src/stores/alert-store.js';
import { makeRsaKeyPair, startGitHubStandIn, type GitHubStandIn } from './github/standin.js';
import { TestRepo } from './github/test-repo.js';
import { APP_ID, INSTALLATION, WEBHOOK_SECRET, deliver, until } from './pipeline.js';
import { startDedicatedRedis, type DedicatedRedis } from './redis-server.js';
import { callApi, freshPrefix, spawnServe } from './server.js';
import { startSmtpSink, type SmtpSink } from './smtp.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';
import { spawnWorker, type WorkerProcess } from './worker-process.js';
import { githubPushPayload } from './push-payload.js';

/**
 * What the fault tests (test/faults/) share: a dedicated redis-server with
 * append-only persistence, the GitHub stand-in with an App, a real SMTP
 * server and a webhook receiver for owners, and `neevscan serve` / `neevscan
 * worker` processes on them. Everything started is stopped by close(), also
 * when a test failed half-way; a rig that fails to start stops what it had.
 */
export interface FaultRig {
  redis: DedicatedRedis;
  /** A client of the dedicated Redis, for reading alerts and queues as the service wrote them. */
  store: Redis;
  prefix: string;
  gh: GitHubStandIn;
  /** The App's key pair (the stand-in knows its public half). */
  appKey: ReturnType<typeof makeRsaKeyPair>;
  smtp: SmtpSink;
  hooks: WebhookReceiver;
  /** The repository pushes go to: public, on the stand-in, under the App's installation. */
  repo: { owner: string; name: string; git: TestRepo };
  /** The environment every service process gets (Redis, secrets, mail, notify timing), plus the App's when `withApp`. */
  env(withApp: boolean): Record<string, string>;
  serve(
    env?: Record<string, string>,
    options?: { withApp?: boolean },
  ): Promise<{ url: string; child: ChildProcess; output: () => string; stop(): Promise<void>; kill(): Promise<void> }>;
  worker(env?: Record<string, string>): Promise<WorkerProcess>;
  close(): Promise<void>;
}

/** Short timings for tests, each a documented setting (docs/configuration.md): notices after 1 s, retries from 200 ms, job locks of 2 s. */
export const FAST_ENV = {
  NEEVSCAN_NOTIFY_DELAY_MS: '1000',
  NEEVSCAN_NOTIFY_BACKOFF_MS: '200',
  NEEVSCAN_JOB_LOCK_MS: '2000',
};

/** `overrides` replace the rig's environment; a setting given as undefined is left out (the service's default applies). */
export async function startFaultRig(overrides: Record<string, string | undefined> = {}): Promise<FaultRig> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => {});
  };
  try {
    const redis = await startDedicatedRedis();
    cleanups.push(() => redis.close());
    const store = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    store.on('error', () => {});
    cleanups.push(() => store.disconnect());
    const appKey = makeRsaKeyPair();
    const gh = await startGitHubStandIn({ appId: APP_ID, publicKeyPem: appKey.publicKeyPem });
    cleanups.push(() => gh.close());
    const smtp = await startSmtpSink();
    cleanups.push(() => smtp.close());
    const hooks = await startWebhookReceiver();
    cleanups.push(() => hooks.close());
    const dir = mkdtempSync(join(tmpdir(), 'neevscan-faults-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const git = TestRepo.init(join(dir, 'app'));
    git.commit('initial', { 'README.md': '# app\n' });
    const repo = { owner: 'octo-org', name: 'app', git };
    gh.addRepo({ owner: repo.owner, name: repo.name, path: git.path, private: false, installationId: INSTALLATION });
    const prefix = freshPrefix();

    const env = (withApp: boolean): Record<string, string> =>
      withoutUnset({
        REDIS_URL: redis.url,
        NEEVSCAN_REDIS_PREFIX: prefix,
        GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
        GITHUB_API_URL: gh.url,
        SMTP_URL: smtp.url,
        MAIL_FROM: 'NeevCloud Security <security@neevcloud.example>',
        NEEVSCAN_ALLOW_PRIVATE_WEBHOOKS: '1',
        ...FAST_ENV,
        ...(withApp ? { GITHUB_APP_ID: String(APP_ID), GITHUB_APP_PRIVATE_KEY: appKey.pkcs8 } : {}),
        ...overrides,
      });
    return {
      redis,
      store,
      prefix,
      gh,
      appKey,
      smtp,
      hooks,
      repo,
      env,
      async serve(extra = {}, options = {}) {
        const s = await spawnServe({ ...env(options.withApp ?? true), ...extra });
        // SIGTERM lets jobs finish for up to 25 s; after a failed test that could outlast the hook's timeout.
        cleanups.push(() => stopWithin(s, 5000));
        return s;
      },
      async worker(extra = {}) {
        const w = await spawnWorker({ ...env(true), ...extra });
        cleanups.push(() => w.kill());
        return w;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function withoutUnset(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** SIGTERM, then SIGKILL if the process has not exited within `ms`. */
async function stopWithin(s: { child: ChildProcess; stop(): Promise<void> }, ms: number): Promise<void> {
  const timer = setTimeout(() => s.child.kill('SIGKILL'), ms);
  await s.stop();
  clearTimeout(timer);
}

/** An owner with an email and a webhook at the rig's receiver (path `/<name>`), and one key of theirs. */
export async function ownerWithKey(rig: FaultRig, url: string, name: string): Promise<OwnedKey> {
  const owner = await callApi(url, 'POST', '/api/v1/owners', {
    body: { name: `${name} Inc`, email: `${name}@owner.example`, webhookUrl: `${rig.hooks.url}/${name}` },
  });
  if (owner.status !== 201) throw new Error(`owner: ${owner.status} ${JSON.stringify(owner.body)}`);
  const key = await callApi(url, 'POST', '/api/v1/keys', { body: { ownerId: owner.body.id, name: `${name} key` } });
  if (key.status !== 201) throw new Error(`key: ${key.status} ${JSON.stringify(key.body)}`);
  return {
    name,
    email: `${name}@owner.example`,
    hookPath: `/${name}`,
    ownerId: owner.body.id,
    id: key.body.id,
    key: key.body.key,
    hint: key.body.hint,
  };
}

export interface OwnedKey {
  name: string;
  email: string;
  hookPath: string;
  ownerId: string;
  id: string;
  key: string;
  hint: string;
}

/** GitHub's own push example, pointed at the rig's public repository, from `before` to `after`. */
export function pushPayload(rig: FaultRig, before: string, after: string) {
  return githubPushPayload({ owner: rig.repo.owner, name: rig.repo.name, before, after, installation: INSTALLATION });
}

const commentExample = (webhookExamples as Array<{ name: string; examples: Array<Record<string, any>> }>)
  .find((e) => e.name === 'issue_comment')!
  .examples.find((e) => e.action === 'created')!;

/** GitHub's issue_comment example on a public repository, with this body, at its own comment URL. */
export function commentPayload(body: string, n: number) {
  const example = structuredClone(commentExample);
  const html_url = `${example.issue.html_url}#issuecomment-${70000 + n}`;
  return {
    ...example,
    comment: { ...example.comment, id: 70000 + n, html_url, body },
    repository: { ...example.repository, private: false },
  };
}

/** Commits one file holding `key` on the rig's repository and returns the push (before → after) that adds it. */
export function commitKey(rig: FaultRig, key: OwnedKey): { before: string; after: string } {
  const before = rig.repo.git.git('rev-parse', 'HEAD');
  const after = rig.repo.git.commit(`add ${key.name}`, { [`config/${key.name}.env`]: `# ${key.name}\nNEEV_API_KEY=${key.key}\n` });
  return { before, after };
}

/** Commits one file holding each key (one commit per key, in one go) and returns the pushes (before → after) that add them. */
export function commitKeys(rig: FaultRig, keys: OwnedKey[]): Array<{ before: string; after: string }> {
  const first = rig.repo.git.git('rev-parse', 'HEAD');
  const shas = rig.repo.git.commitEach(
    keys.map((key) => ({ message: `add ${key.name}`, files: { [`config/${key.name}.env`]: `# ${key.name}\nNEEV_API_KEY=${key.key}\n` } })),
  );
  return shas.map((after, i) => ({ before: i === 0 ? first : shas[i - 1]!, after }));
}

/** Delivers a push of `key` (already committed) and returns the answer's status. */
export async function deliverPush(rig: FaultRig, url: string, push: { before: string; after: string }, delivery: string): Promise<number> {
  return (await deliver(url, 'push', pushPayload(rig, push.before, push.after), delivery)).status;
}

export async function keyRecord(
  url: string,
  id: string,
): Promise<{ status: string; revokedAt: string | null; revokedReason: string | null; revokedBy: string | null }> {
  return (await callApi(url, 'GET', `/api/v1/keys/${id}`)).body;
}

export function alertsOf(rig: FaultRig): AlertStore {
  return new AlertStore(rig.store, rig.prefix);
}

/** The alert of each key, once every one exists. */
export async function allAlerts(rig: FaultRig, keys: OwnedKey[], ms = 30_000): Promise<Map<string, Alert>> {
  const alerts = alertsOf(rig);
  return until(
    async () => {
      const found = new Map<string, Alert>();
      for (const key of keys) {
        const alert = await alerts.getByKeyId(key.id).catch(() => null);
        if (!alert) return undefined;
        found.set(key.id, alert);
      }
      return found;
    },
    `alerts for ${keys.length} keys`,
    ms,
  );
}

/** Mails and owner webhooks received per key. */
export function deliveriesOf(rig: FaultRig, key: OwnedKey): { mails: number; hooks: number } {
  return {
    mails: rig.smtp.messages.filter((m) => m.to.includes(key.email)).length,
    hooks: rig.hooks.requests.filter((r) => r.path === key.hookPath && r.status < 300).length,
  };
}

export async function pause(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}
