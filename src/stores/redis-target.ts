/**
 * Where the service's Redis is: one node (REDIS_URL, the default) or a Redis
 * Cluster (REDIS_CLUSTER_NODES, or REDIS_URL in the `redis+cluster://` form).
 * A section of the configuration: it imports nothing of the project, so
 * config.ts stays a leaf.
 */

export interface ClusterNode {
  host: string;
  port: number;
}

export interface RedisClusterTarget {
  /** Seed nodes: ioredis asks them for the rest of the cluster. */
  nodes: ClusterNode[];
  username?: string;
  password?: string;
  /** `rediss+cluster://`: TLS to every node. */
  tls: boolean;
  /** The variable it came from, for error and log lines. */
  source: 'REDIS_CLUSTER_NODES' | 'REDIS_URL';
}

/** What a connection is made from: REDIS_URL, and the cluster when one is configured. */
export interface RedisTarget {
  redisUrl: string;
  redisCluster?: RedisClusterTarget;
}

const CLUSTER_SCHEME = /^(rediss?)\+cluster:\/\//i;

/**
 * The cluster of `REDIS_CLUSTER_NODES=host:port,host:port` (credentials from
 * REDIS_USERNAME / REDIS_PASSWORD), or of
 * `REDIS_URL=redis+cluster://[user:password@]host:port,host:port`; undefined on a single node.
 * Throws, naming the variable, on anything malformed.
 */
export function readRedisCluster(
  env: Partial<Record<'REDIS_CLUSTER_NODES' | 'REDIS_URL' | 'REDIS_PASSWORD' | 'REDIS_USERNAME', string>>,
): RedisClusterTarget | undefined {
  const nodes = env.REDIS_CLUSTER_NODES?.trim();
  const url = env.REDIS_URL?.trim() ?? '';
  const urlIsCluster = CLUSTER_SCHEME.test(url);
  if (nodes && urlIsCluster) throw new Error('set the cluster either in REDIS_CLUSTER_NODES or as a redis+cluster:// REDIS_URL, not both');
  if (nodes) {
    return {
      nodes: parseNodes(nodes, 'REDIS_CLUSTER_NODES'),
      username: env.REDIS_USERNAME || undefined,
      password: env.REDIS_PASSWORD || undefined,
      tls: false,
      source: 'REDIS_CLUSTER_NODES',
    };
  }
  if (!urlIsCluster) return undefined;
  const scheme = CLUSTER_SCHEME.exec(url)![1]!.toLowerCase();
  const rest = url.slice(url.indexOf('://') + 3);
  if (/[/?#]/.test(rest))
    throw new Error('REDIS_URL: a redis+cluster:// URL takes no path, database or query (a cluster has database 0 only)');
  const at = rest.lastIndexOf('@');
  const userinfo = at >= 0 ? rest.slice(0, at) : '';
  const colon = userinfo.indexOf(':');
  const username = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
  const password = colon >= 0 ? userinfo.slice(colon + 1) : '';
  return {
    nodes: parseNodes(rest.slice(at + 1), 'REDIS_URL'),
    username: username ? decodeURIComponent(username) : undefined,
    password: password ? decodeURIComponent(password) : env.REDIS_PASSWORD || undefined,
    tls: scheme === 'rediss',
    source: 'REDIS_URL',
  };
}

function parseNodes(list: string, variable: string): ClusterNode[] {
  const nodes = list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => parseNode(entry, variable));
  if (nodes.length === 0) throw new Error(`${variable} must list at least one cluster node as host:port`);
  return nodes;
}

function parseNode(entry: string, variable: string): ClusterNode {
  // host:port, or [IPv6]:port.
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(entry);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) {
    throw new Error(`${variable} must be a comma-separated list of cluster nodes as host:port (IPv6: [address]:port), not "${entry}"`);
  }
  return { host: match[1] ?? match[2]!, port };
}

/** The target for log lines, without its password. */
export function describeRedisTarget(target: RedisTarget): string {
  const cluster = target.redisCluster;
  if (!cluster) return `REDIS_URL=${redactUrl(target.redisUrl)}`;
  const nodes = cluster.nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(',');
  return `${cluster.source}=${cluster.source === 'REDIS_URL' ? `redis${cluster.tls ? 's' : ''}+cluster://` : ''}${nodes} (Redis Cluster)`;
}

/** REDIS_URL without its password, for log lines. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'invalid URL';
  }
}
