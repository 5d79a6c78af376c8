import { afterEach, describe, expect, it } from 'vitest';
import { isValidKey } from '../../src/key-format/key.js';
import { neevscan, neevscanAsync } from '../helpers/cli.js';
import { cliRedisEnv } from '../helpers/redis-prefix.js';
import { ADMIN, startServer, type TestServer } from '../helpers/server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function server(): Promise<TestServer> {
  const t = await startServer();
  cleanups.push(() => t.close());
  return t;
}

describe('neevscan keys create --canary / keys replace', () => {
  it('straight to Redis: a canary is created like any key and listed as a canary; replace refuses an active key, replaces a revoked one once', () => {
    const env = cliRedisEnv();
    const ownerId = JSON.parse(neevscan(['owners', 'create', '--name', 'Acme'], { env }).stdout).id;

    const canary = neevscan(['keys', 'create', '--owner', ownerId, '--canary', '--label', 'planted in staging .env'], { env });
    expect(canary.status).toBe(0);
    expect(isValidKey(canary.stdout.trim())).toBe(true);
    expect(neevscan(['keys', 'create', '--owner', ownerId, '--name', 'x', '--label', 'no canary'], { env }).status).not.toBe(0);

    const real = neevscan(['keys', 'create', '--owner', ownerId, '--name', 'Production'], { env });
    const listed = JSON.parse(neevscan(['keys', 'list', '--owner', ownerId], { env }).stdout).keys as Array<Record<string, unknown>>;
    expect(listed.map((k) => [k.name, k.canary, k.canaryLabel])).toEqual([
      ['planted in staging .env', true, 'planted in staging .env'],
      ['Production', false, null],
    ]);
    const id = listed[1]!.id as string;

    const active = neevscan(['keys', 'replace', id], { env });
    expect(active.status).not.toBe(0);
    expect(active.stderr).toContain('still active');
    expect(neevscan(['keys', 'revoke', id], { env }).status).toBe(0);
    const replaced = neevscan(['keys', 'replace', id], { env });
    expect(replaced.status).toBe(0);
    const newKey = replaced.stdout.trim();
    expect(isValidKey(newKey)).toBe(true);
    expect(newKey).not.toBe(real.stdout.trim());
    expect(replaced.stderr).toContain(`replaces ${id}`);
    expect(replaced.stderr).not.toContain(newKey);

    const twice = neevscan(['keys', 'replace', id], { env });
    expect(twice.status).not.toBe(0);
    expect(twice.stderr).toMatch(/already replaced by key_/);
    expect(twice.stdout).toBe('');
  });

  // Async: the server answers on this process' event loop.
  it('through a server (--server, --token): the same, and the 409 names the existing replacement', async () => {
    const t = await server();
    const opts = ['--server', t.url, '--token', ADMIN];
    const ownerId = JSON.parse((await neevscanAsync(['owners', 'create', '--name', 'Remote', ...opts])).stdout).id;
    expect((await neevscanAsync(['keys', 'create', '--owner', ownerId, '--name', 'Decoy', '--canary', ...opts])).status).toBe(0);
    await neevscanAsync(['keys', 'create', '--owner', ownerId, '--name', 'Prod', ...opts]);
    const keys = (await t.api('GET', `/api/v1/keys?ownerId=${ownerId}`)).body.keys;
    expect(keys.map((k: { canary: boolean }) => k.canary)).toEqual([true, false]);
    const id = keys[1].id;
    await t.api('POST', `/api/v1/keys/${id}/revoke`);
    const replaced = await neevscanAsync(['keys', 'replace', id, ...opts]);
    expect(replaced.status).toBe(0);
    const newId = (await t.api('GET', `/api/v1/keys/${id}`)).body.replacedBy;
    expect(newId).toMatch(/^key_/);
    const twice = await neevscanAsync(['keys', 'replace', id, ...opts]);
    expect(twice.status).not.toBe(0);
    expect(twice.stderr).toContain(newId);
  });
});
