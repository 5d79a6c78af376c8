import { afterEach, describe, expect, it } from 'vitest';
import { isValidKey } from '../../src/key-format/key.js';
import { neevscan, neevscanAsync } from '../helpers/cli.js';
import { cliRedisEnv } from '../helpers/redis-prefix.js';
import { ADMIN, callApi, startServer, type TestServer } from '../helpers/server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('neevscan owners / keys', () => {
  it('straight to Redis: create an owner and a key (printed once, alone on stdout), list, rotate, revoke', () => {
    const env = cliRedisEnv();
    const owner = neevscan(['owners', 'create', '--name', 'Acme', '--email', 'sec@acme.example'], { env });
    expect(owner.status).toBe(0);
    const ownerId = JSON.parse(owner.stdout).id;

    const created = neevscan(['keys', 'create', '--owner', ownerId, '--name', 'Production Web App'], { env });
    expect(created.status).toBe(0);
    const key = created.stdout.trim();
    expect(created.stdout).toBe(`${key}\n`);
    expect(isValidKey(key)).toBe(true);
    expect(created.stderr).toContain(`neev_…${key.slice(-4)}`);
    expect(created.stderr).not.toContain(key);

    const list = neevscan(['keys', 'list', '--owner', ownerId], { env });
    const [record] = JSON.parse(list.stdout).keys;
    expect(record).toMatchObject({ name: 'Production Web App', status: 'active', hint: `neev_…${key.slice(-4)}` });
    expect(list.stdout).not.toContain(key);

    const rotated = neevscan(['keys', 'rotate', record.id, '--grace', '0'], { env });
    expect(isValidKey(rotated.stdout.trim())).toBe(true);
    const revoked = neevscan(['keys', 'revoke', record.id, '--reason', 'test'], { env });
    expect(JSON.parse(revoked.stdout)).toMatchObject({ status: 'revoked', revokedReason: 'test', revokedBy: 'admin' });

    expect(neevscan(['keys', 'create', '--owner', ownerId, '--name', 'Production Web App'], { env })).toMatchObject({ status: 2 });
    expect(neevscan(['keys', 'revoke', 'key_0000000000000000'], { env }).stderr).toBe('neevscan: no key key_0000000000000000\n');
    expect(neevscan(['keys', 'list', '--owner', 'own_0000000000000000'], { env }).status).toBe(2);
  });

  it('through a server with --server and --token', async () => {
    const t: TestServer = await startServer();
    cleanups.push(() => t.close());
    const owner = (await callApi(t.url, 'POST', '/api/v1/owners', { body: { name: 'Acme' } })).body.id;
    const created = await neevscanAsync([
      'keys',
      'create',
      '--owner',
      owner,
      '--name',
      'Data Pipeline',
      '--server',
      t.url,
      '--token',
      ADMIN,
    ]);
    expect(created.status).toBe(0);
    const key = created.stdout.trim();
    expect((await callApi(t.url, 'POST', '/api/v1/authenticate', { body: { key } })).status).toBe(200);
    const wrong = await neevscanAsync(['keys', 'list', '--owner', owner, '--server', t.url, '--token', 'nope']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^neevscan: .*refused/);
  });

  it('Redis unreachable: exit 2 with a line naming REDIS_URL', () => {
    const run = neevscan(['owners', 'list'], { env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('REDIS_URL=redis://127.0.0.1:1');
  });
});
