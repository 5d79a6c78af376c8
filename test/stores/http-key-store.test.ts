import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { HttpKeyStore } from '../../src/stores/http-key-store.js';
import { KeyStoreUnavailableError } from '../../src/stores/key-store.js';
import { ADMIN, freePort, startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
beforeEach(async () => {
  t = await startServer();
});
afterEach(async () => {
  await t.close();
});

describe('HttpKeyStore against this project’s own API server', () => {
  it('confirms by hash, revokes with reason and actor, reads owner contacts and usage', async () => {
    const store = new HttpKeyStore(t.url, ADMIN);
    const owner = await store.createOwner({ name: 'Acme', email: 'sec@acme.example', webhookUrl: 'https://hooks.acme.example/neev' });
    const created = await store.createKey({ ownerId: owner.id, name: 'Production Web App' });
    expect(created.key).toMatch(/^neev_/);

    expect(await store.authenticatesByHash(sha256Hex(created.key))).toBe(true);
    const found = await store.findByHash(sha256Hex(created.key));
    expect(found).toMatchObject({ id: created.record.id, ownerId: owner.id, status: 'active', hint: created.record.hint });
    expect(await store.findByHash(sha256Hex(generateKey()))).toBeNull();
    expect(await store.findByHash('not-a-hash')).toBeNull();

    await t.api('POST', '/api/v1/authenticate', { body: { key: created.key, tokens: 42 } });
    const usage = await store.usageSince(created.record.id, new Date(Date.now() - 3_600_000));
    expect(usage).toMatchObject([{ requests: 1, tokens: 42 }]);

    const contacts = await store.getOwner(owner.id);
    expect(contacts).toMatchObject({
      email: 'sec@acme.example',
      webhookUrl: 'https://hooks.acme.example/neev',
      webhookSecret: owner.webhookSecret,
    });
    expect(await store.getOwner('own_0000000000000000')).toBeNull();

    const revoked = await store.revoke(created.record.id, { reason: 'found in octo-org/app config/app.env', by: 'leak-detector' });
    expect(revoked).toMatchObject({ status: 'revoked', revokedBy: 'leak-detector', revokedReason: 'found in octo-org/app config/app.env' });
    expect(await store.revoke('key_0000000000000000', { reason: 'x', by: 'leak-detector' })).toBeNull();
    // Revoking again keeps the first revocation; confirming by hash sees it.
    const again = await store.revoke(created.record.id, { reason: 'found again elsewhere', by: 'admin' });
    expect(again).toMatchObject({
      status: 'revoked',
      revokedAt: revoked!.revokedAt,
      revokedBy: 'leak-detector',
      revokedReason: 'found in octo-org/app config/app.env',
    });
    expect(await store.findByHash(sha256Hex(created.key))).toMatchObject({
      id: created.record.id,
      status: 'revoked',
      revokedAt: revoked!.revokedAt,
    });
    expect((await t.api('POST', '/api/v1/authenticate', { body: { key: created.key } })).status).toBe(401);
    // The proof of the revocation: the store's authenticate, by hash, in probe mode.
    expect(await store.authenticatesByHash(sha256Hex(created.key))).toBe(false);
    expect(await store.authenticatesByHash('not-a-hash')).toBe(false);

    const rotatedFrom = await store.createKey({ ownerId: owner.id, name: 'Batch' });
    const rotated = await store.rotateKey(rotatedFrom.record.id, 60);
    expect(rotated?.record.name).toBe('Batch');
    expect((await store.listKeys(owner.id)).map((k) => k.name).sort()).toEqual(['Batch', 'Batch', 'Production Web App']);
  });

  it('an unreachable store is "unavailable" (retry), never "not found"', async () => {
    const port = await freePort();
    const store = new HttpKeyStore(`http://127.0.0.1:${port}`, ADMIN, 1000);
    await expect(store.findByHash(sha256Hex(generateKey()))).rejects.toBeInstanceOf(KeyStoreUnavailableError);
    await expect(store.revoke('key_0000000000000000', { reason: 'x', by: 'leak-detector' })).rejects.toBeInstanceOf(
      KeyStoreUnavailableError,
    );
    await expect(store.authenticatesByHash(sha256Hex(generateKey()))).rejects.toBeInstanceOf(KeyStoreUnavailableError);
  });

  it('a store whose Redis is down answers 503, which the adapter reads as unavailable', async () => {
    const store = new HttpKeyStore(t.url, ADMIN);
    t.redis.disconnect(); // the server's own connection goes away (and is not retried)
    await expect(store.findByHash(sha256Hex(generateKey()))).rejects.toBeInstanceOf(KeyStoreUnavailableError);
    expect((await t.api('GET', '/readyz', { token: null })).status).toBe(503);
  });

  it('a wrong token is a configuration error, not unavailability', async () => {
    const store = new HttpKeyStore(t.url, 'nope');
    await expect(store.findByHash(sha256Hex(generateKey()))).rejects.toThrow(/refused/);
  });
});
