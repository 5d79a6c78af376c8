import { readConfig } from '../../config.js';
import { NeevscanError } from '../../errors.js';
import type { KeyRecord, Owner } from '../../stores/key-store.js';
import { KeyStoreError, type CreatedKey } from '../../stores/redis-key-store.js';

/** What the key and owner commands need, whether they talk to Redis or to a server. */
interface Admin {
  createOwner(input: { name: string; email?: string; webhookUrl?: string }): Promise<Owner & { webhookSecret: string | null }>;
  listOwners(): Promise<Owner[]>;
  createKey(input: { ownerId: string; name: string; canary?: { label: string } }): Promise<CreatedKey>;
  replaceKey(id: string): Promise<CreatedKey | null>;
  listKeys(ownerId: string): Promise<KeyRecord[]>;
  revoke(id: string, revocation: { reason: string; by: 'owner' | 'admin' }): Promise<KeyRecord | null>;
  rotateKey(id: string, graceSeconds?: number): Promise<CreatedKey | null>;
  getOwner(id: string): Promise<unknown>;
}

export interface BackendOptions {
  server?: string;
  token?: string;
}

/** `--server URL --token T` (or NEEVSCAN_SERVER / NEEVSCAN_TOKEN) talks to a server; otherwise Redis at REDIS_URL directly. */
async function withAdmin<T>(options: BackendOptions, work: (admin: Admin) => Promise<T>): Promise<T> {
  const server = options.server ?? process.env.NEEVSCAN_SERVER;
  if (server) {
    const token = options.token ?? process.env.NEEVSCAN_TOKEN;
    if (!token) throw new NeevscanError('--server needs --token (or NEEVSCAN_TOKEN): an admin API token', 'bad-argument');
    const { HttpKeyStore } = await import('../../stores/http-key-store.js');
    return run(() => work(new HttpKeyStore(server, token)));
  }
  const config = readConfig();
  const { cliConnection, describeRedisTarget } = await import('../../stores/redis.js');
  const { RedisKeyStore } = await import('../../stores/redis-key-store.js');
  const redis = cliConnection(config);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new NeevscanError(`cannot reach Redis at ${describeRedisTarget(config)}: ${(error as Error).message}`, 'redis-unreachable');
  }
  try {
    return await run(() => work(new RedisKeyStore(redis, config.redisPrefix, config.defaultRateLimit)));
  } finally {
    redis.disconnect();
  }
}

async function run<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof NeevscanError) throw error;
    if (error instanceof KeyStoreError) throw new NeevscanError(error.message, error.code);
    throw new NeevscanError((error as Error).message, 'store-error');
  }
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

export async function ownersCreate(options: BackendOptions & { name: string; email?: string; webhookUrl?: string }): Promise<number> {
  return withAdmin(options, async (admin) => {
    print(await admin.createOwner({ name: options.name, email: options.email, webhookUrl: options.webhookUrl }));
    return 0;
  });
}

export async function ownersList(options: BackendOptions): Promise<number> {
  return withAdmin(options, async (admin) => {
    print({ owners: await admin.listOwners() });
    return 0;
  });
}

/** Prints the key alone on stdout (so it can be piped into a secrets manager); the record goes to stderr. */
function showKey(created: CreatedKey): number {
  process.stdout.write(`${created.key}\n`);
  process.stderr.write(
    `neevscan: key ${created.record.id} "${created.record.name}" (${created.record.hint}) created; it is shown once, above.\n`,
  );
  return 0;
}

export async function keysCreate(
  options: BackendOptions & { owner: string; name?: string; canary?: boolean; label?: string },
): Promise<number> {
  if (options.label !== undefined && !options.canary) throw new NeevscanError('--label goes with --canary', 'bad-argument');
  const name = options.name ?? (options.canary ? options.label : undefined);
  if (!name)
    throw new NeevscanError(
      options.canary ? '--canary needs --name or --label' : "required option '--name <name>' not specified",
      'bad-argument',
    );
  const canary = options.canary ? { label: options.label ?? '' } : undefined;
  return withAdmin(options, async (admin) => showKey(await admin.createKey({ ownerId: options.owner, name, canary })));
}

/** A 409 names the key already made by an earlier replace (or the one holding the name) in its message; exit 1. */
export async function keysReplace(id: string, options: BackendOptions): Promise<number> {
  return withAdmin(options, async (admin) => {
    const created = await admin.replaceKey(id);
    if (!created) throw new NeevscanError(`no key ${id}`, 'not-found');
    process.stdout.write(`${created.key}\n`);
    process.stderr.write(
      `neevscan: key ${created.record.id} "${created.record.name}" (${created.record.hint}) replaces ${id}; it is shown once, above.\n`,
    );
    return 0;
  });
}

export async function keysList(options: BackendOptions & { owner: string }): Promise<number> {
  return withAdmin(options, async (admin) => {
    if (!(await admin.getOwner(options.owner))) throw new NeevscanError(`no owner ${options.owner}`, 'not-found');
    print({ keys: await admin.listKeys(options.owner) });
    return 0;
  });
}

export async function keysRevoke(id: string, options: BackendOptions & { reason?: string }): Promise<number> {
  return withAdmin(options, async (admin) => {
    const record = await admin.revoke(id, { reason: options.reason ?? 'revoked from the command line', by: 'admin' });
    if (!record) throw new NeevscanError(`no key ${id}`, 'not-found');
    print(record);
    return 0;
  });
}

export async function keysRotate(id: string, options: BackendOptions & { grace?: string }): Promise<number> {
  const grace = options.grace === undefined ? undefined : Number(options.grace);
  if (grace !== undefined && !(Number.isInteger(grace) && grace >= 0))
    throw new NeevscanError('--grace takes whole seconds', 'bad-argument');
  return withAdmin(options, async (admin) => {
    const created = await admin.rotateKey(id, grace);
    if (!created) throw new NeevscanError(`no key ${id}`, 'not-found');
    return showKey(created);
  });
}

/** `neevscan migrate-store`: the key and alert stores' one-slot layouts to the sharded ones (src/stores/migrate-store.ts, migrate-alert-store.ts); prints what it moved. */
export async function migrateStore(): Promise<number> {
  const config = readConfig();
  const { Redis } = await import('ioredis');
  const { migrateKeyStore } = await import('../../stores/migrate-store.js');
  const { migrateAlertStore } = await import('../../stores/migrate-alert-store.js');
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new NeevscanError(`cannot reach Redis at REDIS_URL=${config.redisUrl}: ${(error as Error).message}`, 'redis-unreachable');
  }
  try {
    const keys = await run(() => migrateKeyStore(redis, config.redisPrefix));
    const alerts = await run(() => migrateAlertStore(redis, config.redisPrefix));
    const report = { ...keys, alerts: alerts.alerts, copied: keys.copied + alerts.copied, skipped: [...keys.skipped, ...alerts.skipped] };
    print(report);
    return report.skipped.length === 0 ? 0 : 1;
  } finally {
    redis.disconnect();
  }
}
