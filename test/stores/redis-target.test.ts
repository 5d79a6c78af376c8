import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config.js';
import { describeRedisTarget, readRedisCluster } from '../../src/stores/redis-target.js';

describe('REDIS_CLUSTER_NODES and redis+cluster:// (the Redis Cluster setting)', () => {
  it('is unset by default: one Redis at REDIS_URL', () => {
    expect(readConfig({}).redisCluster).toBeUndefined();
    expect(readRedisCluster({ REDIS_URL: 'redis://:pw@cache:6379/2' })).toBeUndefined();
  });

  it('reads seed nodes, with the password from REDIS_PASSWORD', () => {
    const cluster = readConfig({
      REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, redis-b.internal:7001 ,[::1]:7002',
      REDIS_PASSWORD: 's3cret',
    }).redisCluster;
    expect(cluster).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b.internal', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      username: undefined,
      password: 's3cret',
      tls: false,
      source: 'REDIS_CLUSTER_NODES',
    });
  });

  it('reads a redis+cluster:// REDIS_URL with its credentials, and TLS from rediss+cluster://', () => {
    expect(readRedisCluster({ REDIS_URL: 'rediss+cluster://app:p%40ss@a:7000,b:7001' })).toEqual({
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      username: 'app',
      password: 'p@ss',
      tls: true,
      source: 'REDIS_URL',
    });
  });

  it('refuses malformed settings, naming the variable', () => {
    expect(() => readConfig({ REDIS_CLUSTER_NODES: 'a:7000,b' })).toThrow(/REDIS_CLUSTER_NODES .*"b"/);
    expect(() => readConfig({ REDIS_CLUSTER_NODES: 'a:70000' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => readConfig({ REDIS_CLUSTER_NODES: ' , ' })).toThrow(/REDIS_CLUSTER_NODES must list at least one/);
    expect(() => readConfig({ REDIS_URL: 'redis+cluster://a:7000/3' })).toThrow(/REDIS_URL: .*no path, database/);
    expect(() => readConfig({ REDIS_URL: 'redis+cluster://a:7000', REDIS_CLUSTER_NODES: 'b:7000' })).toThrow(/not both/);
  });

  it('is described in log lines without its password', () => {
    const target = {
      redisUrl: 'redis://127.0.0.1:6379',
      redisCluster: readRedisCluster({ REDIS_URL: 'redis+cluster://u:hunter2@a:7000,b:7001' }),
    };
    expect(describeRedisTarget(target)).toBe('REDIS_URL=redis+cluster://a:7000,b:7001 (Redis Cluster)');
    expect(describeRedisTarget({ redisUrl: 'redis://u:hunter2@h:6379' })).toBe('REDIS_URL=redis://u:***@h:6379');
  });
});
