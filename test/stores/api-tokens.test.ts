import { afterEach, describe, expect, it } from 'vitest';
import { ApiTokens } from '../../src/stores/api-tokens.js';
import { deletePrefix, freshPrefix, testRedis } from '../helpers/redis.js';

const redis = testRedis();
const prefixes: string[] = [];
afterEach(async () => {
  for (const prefix of prefixes.splice(0)) await deletePrefix(redis, prefix);
});

/** Two service processes sharing one Redis: each holds its own ApiTokens, as `serve` does. */
function twoProcesses(gatewayCacheMs: number) {
  const prefix = freshPrefix();
  prefixes.push(prefix);
  return [new ApiTokens(redis, prefix, undefined, gatewayCacheMs), new ApiTokens(redis, prefix, undefined, gatewayCacheMs)] as const;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('API tokens', () => {
  it('a deleted gateway token is refused at once where it was deleted, and elsewhere once the short trust ends', async () => {
    const [here, there] = twoProcesses(2_000);
    const gateway = await here.mint('gateway', 'gateway');
    expect((await here.verify(gateway.token))?.scope).toBe('gateway');
    expect((await there.verify(gateway.token))?.scope).toBe('gateway');

    expect(await here.revoke(gateway.id)).toBe(true);
    expect(await here.verify(gateway.token)).toBeNull();
    // The other process verified it moments ago: it trusts it for the rest of its short window (without asking
    // Redis, the point of the window), never longer.
    expect((await there.verify(gateway.token))?.id).toBe(gateway.id);
    await sleep(2_100);
    expect(await there.verify(gateway.token)).toBeNull();
  });

  it('a deleted admin or security token is refused everywhere at once (never trusted from memory)', async () => {
    const [here, there] = twoProcesses(60_000);
    for (const scope of ['admin', 'security'] as const) {
      const token = await here.mint(scope, scope);
      expect((await there.verify(token.token))?.scope).toBe(scope);
      expect(await here.revoke(token.id)).toBe(true);
      expect(await there.verify(token.token)).toBeNull();
    }
  });

  it('an unknown token is asked of Redis every time: a token minted after a miss works at once', async () => {
    const [here, there] = twoProcesses(60_000);
    expect(await there.verify('nvs_not-a-token')).toBeNull();
    const gateway = await here.mint('gateway', 'gateway');
    expect((await there.verify(gateway.token))?.id).toBe(gateway.id);
  });

  it('with the cache off (0 ms), a deleted gateway token is refused everywhere at once', async () => {
    const [here, there] = twoProcesses(0);
    const gateway = await here.mint('gateway', 'gateway');
    expect((await there.verify(gateway.token))?.scope).toBe('gateway');
    await here.revoke(gateway.id);
    expect(await there.verify(gateway.token)).toBeNull();
  });
});
