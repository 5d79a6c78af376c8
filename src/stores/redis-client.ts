import type { Cluster, Redis } from 'ioredis';

/**
 * What the stores run on: one Redis server or a Redis Cluster. Every command and script a store sends touches one
 * hash slot (docs/SCALING-stores.md), so the same code works on both.
 */
export type RedisClient = Redis | Cluster;
