import { createHmac } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { afterEach } from 'vitest';
import { makeRsaKeyPair, startGitHubStandIn, type GitHubStandIn } from './github/standin.js';
import { deletePrefix, freshPrefix, testRedis } from './redis.js';
import { callApi, spawnServe } from './server.js';

export const WEBHOOK_SECRET = 'e2e-webhook-secret';
export const APP_ID = 4242;
export const INSTALLATION = 77;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A signed webhook delivery, as GitHub sends one. */
export function deliver(url: string, event: string, payload: unknown, delivery: string, secret = WEBHOOK_SECRET): Promise<Response> {
  const body = JSON.stringify(payload);
  return fetch(`${url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
    body,
  });
}

/** Polls until `probe` gives a value. */
export async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface PipelineOptions {
  /** Limits and faults of the GitHub stand-in. */
  standIn?: Omit<Parameters<typeof startGitHubStandIn>[0], 'appId' | 'publicKeyPem'>;
  /** More environment for `serve`. */
  env?: Record<string, string>;
  /**
   * A Redis Cluster of the test's own to run on (REDIS_CLUSTER_NODES); the test closes it. Without one, the tests'
   * Redis: the node at REDIS_URL, or in the cluster pass (`npm run test:cluster`) that pass's cluster.
   */
  cluster?: { nodes: string; client(): Cluster };
}

/** The whole service as a process (`neevscan serve`), on a fresh Redis prefix, against a GitHub stand-in with an App; removed after the test. */
export async function startPipeline(policy?: string, { standIn = {}, env = {}, cluster }: PipelineOptions = {}) {
  const appKey = makeRsaKeyPair();
  const gh: GitHubStandIn = await startGitHubStandIn({ ...standIn, appId: APP_ID, publicKeyPem: appKey.publicKeyPem });
  cleanups.push(() => gh.close());
  const prefix = freshPrefix();
  // On a cluster the prefix goes with the cluster the test closes.
  const redis: Redis = cluster ? (cluster.client() as unknown as Redis) : testRedis();
  cleanups.push(async () => {
    if (!cluster) await deletePrefix(redis, prefix);
    redis.disconnect();
  });
  // On a cluster the client first learns the slot map: on a loaded machine, starting takes longer (spawnServe waits
  // 60 s in the cluster pass).
  const serve = await spawnServe(
    {
      NEEVSCAN_REDIS_PREFIX: prefix,
      GITHUB_API_URL: gh.url,
      GITHUB_APP_ID: String(APP_ID),
      GITHUB_APP_PRIVATE_KEY: appKey.pkcs8,
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      ...(policy ? { REVOKE_POLICY: policy } : {}),
      ...(cluster ? { REDIS_CLUSTER_NODES: cluster.nodes } : {}),
      ...env,
    },
    { readyMs: cluster ? 60_000 : undefined },
  );
  cleanups.push(serve.stop);
  const owner = (await callApi(serve.url, 'POST', '/api/v1/owners', { body: { name: 'Acme' } })).body.id as string;
  return { gh, prefix, redis, serve, owner };
}
