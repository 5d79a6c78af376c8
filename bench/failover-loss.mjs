// The failover loss window (npm run bench:failover): how many acknowledged adds a Redis Cluster failover loses,
// with NEEVSCAN_REDIS_WAIT_REPLICAS off and on.
//
//   node bench/failover-loss.mjs [--rounds 3] [--senders 8] [--stall-ms 300] [--wait-timeout-ms 100] [--scenarios healthy,stalled]
//
// Each round starts a local cluster (3 masters, 1 replica each, cluster-node-timeout 1 s: test/helpers/redis-cluster.ts)
// and runs the receiver's own enqueue path in this process: dist/'s openQueues on a producer connection and
// enqueueInto with replicaConfirmation (src/pipeline/replica-confirm.ts), as `serve` builds it for the webhook
// receiver. `senders` loops add one push job each, one after another; an add whose enqueue resolved is acknowledged
// (the receiver would answer 202 and GitHub would not redeliver). After a second of adds the master of the push
// queue's slot is SIGKILLed; adds go on (failing, i.e. 503, until the replica takes over) until a second after the
// cluster serves every slot again. Then every acknowledged job id is looked up on the new master: missing = lost.
//
// Two scenarios, each with WAIT off and on:
//   healthy: the replica is keeping up when its master dies (loopback, so its lag is below a millisecond);
//   stalled: the replica stops reading for --stall-ms right before the kill (SIGSTOP, then SIGCONT after the kill):
//            a replica link that hiccups, the case WAIT is for. With WAIT on, the adds made during the stall wait
//            --wait-timeout-ms, are answered anyway and counted in neevscan_redis_wait_short_total: the bench
//            reports how many of the lost ones were so counted.
// Expects dist/ built (npm run build). Transpiles test/helpers/redis-cluster.ts into bench/.data/.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import ts from 'typescript';
import { machineLine } from './lib/stats.mjs';

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    senders: { type: 'string', default: '8' },
    'stall-ms': { type: 'string', default: '300' },
    'wait-timeout-ms': { type: 'string', default: '100' },
    scenarios: { type: 'string', default: 'healthy,stalled' },
  },
});
const ROOT = resolve(import.meta.dirname, '..');
const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);
const { openQueues, enqueueInto, closeQueues } = await dist('pipeline/registry.js');
const { replicaConfirmation } = await dist('pipeline/replica-confirm.js');
const { producerConnection } = await dist('stores/redis.js');
const { queuePrefix, PUSH_QUEUE } = await dist('core/queue-names.js');

async function clusterHelper() {
  const out = join(ROOT, 'bench', '.data', 'redis-cluster.mjs');
  mkdirSync(join(ROOT, 'bench', '.data'), { recursive: true });
  const source = readFileSync(join(ROOT, 'test', 'helpers', 'redis-cluster.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  writeFileSync(out, outputText);
  return import(pathToFileURL(out).href);
}
const { startLocalCluster } = await clusterHelper();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One round: what was acknowledged (in all, before the kill, per second in the first second), lost, unconfirmed by WAIT, refused. */
async function round({ waitReplicas, stall }) {
  const cluster = await startLocalCluster({ masters: 3, replicas: 1 });
  const prefix = `bench-failover-${Date.now()}:`;
  const target = {
    redisUrl: 'redis://unused',
    redisCluster: {
      nodes: cluster.nodes.split(',').map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })),
      tls: false,
      source: 'REDIS_CLUSTER_NODES',
    },
  };
  const producer = producerConnection(target);
  await new Promise((r) => (producer.status === 'ready' ? r() : producer.once('ready', r)));
  const queues = openQueues(producer, prefix);
  const confirm = replicaConfirmation(producer, prefix, { replicas: waitReplicas, timeoutMs: Number(opt['wait-timeout-ms']) }, () => {});
  const shortIds = new Set();
  const acked = [];
  let failedAdds = 0;
  let next = 0;
  let running = true;
  const sender = async () => {
    // Each sender its own enqueue, so that it knows whether WAIT confirmed its own add.
    let confirmed;
    const enqueue = enqueueInto(queues, confirm ? async (queue) => (confirmed = await confirm(queue)) : undefined);
    while (running) {
      const id = `j${next++}`;
      try {
        confirmed = true;
        await enqueue([{ queue: PUSH_QUEUE, data: { n: id }, jobId: id }]);
        acked.push(id);
        if (!confirmed) shortIds.add(id);
      } catch {
        failedAdds += 1;
        await sleep(20);
      }
    }
  };
  const senders = Array.from({ length: Number(opt.senders) }, sender);
  const startedAt = Date.now();
  await sleep(1000);
  const tag = queuePrefix(prefix, PUSH_QUEUE);
  const master = await cluster.masterOf(tag);
  const [replica] = await cluster.replicasOf(master);
  const addsPerSecond = (acked.length / (Date.now() - startedAt)) * 1000;
  if (stall) {
    cluster.pause(replica);
    await sleep(Number(opt['stall-ms']));
  }
  const ackedBeforeKill = acked.length;
  const shortBeforeKill = shortIds.size;
  const killedAt = Date.now();
  await cluster.kill(master);
  if (stall) cluster.resume(replica);
  await cluster.waitHealthy(60_000);
  const failoverMs = Date.now() - killedAt;
  await sleep(1000);
  running = false;
  await Promise.all(senders);
  await closeQueues(queues);
  producer.disconnect();

  const check = cluster.client();
  let lost = 0;
  let lostShort = 0;
  for (const id of acked) {
    if ((await check.exists(`${tag}:${PUSH_QUEUE}:${id}`)) === 0) {
      lost += 1;
      if (shortIds.has(id)) lostShort += 1;
    }
  }
  check.disconnect();
  await cluster.close();
  return {
    acked: acked.length,
    ackedBeforeKill,
    addsPerSecond,
    shortBeforeKill,
    lost,
    short: shortIds.size,
    lostShort,
    failedAdds,
    failoverMs,
  };
}

console.log(`failover loss window: ${new Date().toISOString()}; ${machineLine()}`);
console.log(`rounds ${opt.rounds}, senders ${opt.senders}, stall ${opt['stall-ms']} ms, WAIT timeout ${opt['wait-timeout-ms']} ms`);
for (const stall of opt.scenarios.split(',').map((name) => name.trim() === 'stalled')) {
  for (const waitReplicas of [0, 1]) {
    for (let r = 0; r < Number(opt.rounds); r += 1) {
      const result = await round({ waitReplicas, stall });
      console.log(
        `${stall ? 'stalled' : 'healthy'} replica, WAIT ${waitReplicas ? 'on (1 replica)' : 'off'}: ` +
          `acknowledged ${result.acked} (${result.ackedBeforeKill} before the kill; ${result.addsPerSecond.toFixed(0)} adds/s in the first second), ` +
          `lost ${result.lost}` +
          (waitReplicas
            ? ` (of them unconfirmed by WAIT: ${result.lostShort}; unconfirmed: ${result.shortBeforeKill} before the kill, ${result.short - result.shortBeforeKill} after)`
            : '') +
          `; adds refused during the failover ${result.failedAdds}; slots served again after ${result.failoverMs} ms`,
      );
    }
  }
}
process.exit(0);
