#!/usr/bin/env node
/**
 * One node against a 3-master Redis Cluster (npm run bench:scaling): the key store's authenticate
 * (bench/keystore.mjs) and the pipeline's sustained pushes (bench/pipeline.mjs, measure 3), each on a fresh
 * single redis-server (--fresh-node) and on a fresh local 3-master cluster (--cluster), in turns (node, cluster,
 * cluster, node: a drift of the machine's load weighs on both alike). Prints the figures of each run side by side,
 * the ratio cluster ÷ node, and the per-operation costs a capacity estimate is made from (docs/SCALING.md).
 *
 *   node bench/scaling.mjs [--rounds 2] [--only keystore,pipeline] [--keys 20000] [--seconds 8]
 *                          [--stages 200] [--stage-seconds 3] [--stage-repos 60]
 *
 * Both set-ups share this machine's cores, so the cluster shows what its client and routing cost, not what more
 * machines would gain: CPU per operation is the figure to carry over, wall-clock throughput is bounded by the cores.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    only: { type: 'string', default: 'keystore,pipeline' },
    keys: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '8' },
    rate: { type: 'string', default: '2000' },
    stages: { type: 'string', default: '200' },
    'stage-seconds': { type: 'string', default: '3' },
    'stage-repos': { type: 'string', default: '60' },
  },
});
const ONLY = new Set(opt.only.split(','));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Runs a benchmark, its output shown as it comes, and returns the report of its `results: <file>` line. */
function runBench(script, args) {
  console.log(`\n== node bench/${script} ${args.join(' ')}   (load average ${load()})`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(HERE, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('exit', (code) => {
      const file = /^results: (.+)$/m.exec(out)?.[1];
      if (code !== 0 || !file) reject(new Error(`bench/${script} failed (exit ${code})`));
      else resolve(JSON.parse(readFileSync(file, 'utf8')));
    });
  });
}

// In turns: node, cluster, cluster, node, … so that a change of load over the runs does not favour one set-up.
const order = Array.from({ length: Number(opt.rounds) }, (_, i) =>
  i % 2 ? ['--cluster', '--fresh-node'] : ['--fresh-node', '--cluster'],
).flat();
const results = { keystore: { node: [], cluster: [] }, pipeline: { node: [], cluster: [] } };
const side = (flag) => (flag === '--cluster' ? 'cluster' : 'node');
const started = { when: new Date().toISOString(), load: load(), cpu: cpus()[0]?.model, nproc: cpus().length };

if (ONLY.has('keystore'))
  for (const flag of order)
    results.keystore[side(flag)].push(
      await runBench('keystore.mjs', [flag, '--keys', opt.keys, '--seconds', opt.seconds, '--rate', opt.rate, '--caller', 'both']),
    );
if (ONLY.has('pipeline'))
  for (const flag of order)
    results.pipeline[side(flag)].push(
      await runBench('pipeline.mjs', [
        flag,
        '--only',
        '3',
        '--stage-repos',
        opt['stage-repos'],
        '--stages',
        opt.stages,
        '--stage-seconds',
        opt['stage-seconds'],
        '--drain-seconds',
        '20',
      ]),
    );

// ---------------------------------------------------------------- the table
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f = (n, d) => (Number.isFinite(n) ? n.toFixed(d) : '—');
const rows = [];
/** One measure: each run's figure for either set-up, and the ratio of the means, cluster ÷ node. */
function row(name, runs, pick, digits) {
  const node = runs.node.map(pick);
  const cluster = runs.cluster.map(pick);
  const ratio = node.length && cluster.length ? mean(cluster) / mean(node) : NaN;
  rows.push(
    `| ${name} | ${node.map((x) => f(x, digits)).join(' / ')} | ${cluster.map((x) => f(x, digits)).join(' / ')} | ${f(ratio, 2)} |`,
  );
}
const ks = results.keystore;
if (ks.node.length + ks.cluster.length) {
  row('authenticate: sustained maximum (50 connections, with caller context), requests/s', ks, (r) => r.max.requestsPerSecond, 0);
  for (const mode of ['without', 'with']) {
    const at = `authenticate at ${opt.rate}/s, ${mode} caller context`;
    row(`${at}: requests/s sent`, ks, (r) => r.fixed[mode].requestsPerSecond, 0);
    row(`${at}: p99, ms`, ks, (r) => r.fixed[mode].p99, 1);
    row(`${at}: service CPU a call, µs`, ks, (r) => r.fixed[mode].serviceCpuUsPerCall, 0);
    row(`${at}: Redis CPU a call (all nodes), µs`, ks, (r) => r.fixed[mode].redisCpuUsPerCall, 1);
    row(`${at}: Redis commands a call`, ks, (r) => r.fixed[mode].redisCommandsPerCall, 2);
  }
  row('authenticate at the maximum, with caller context: service CPU a call, µs', ks, (r) => r.max.serviceCpuUsPerCall, 0);
  row('authenticate at the maximum, with caller context: Redis CPU a call (all nodes), µs', ks, (r) => r.max.redisCpuUsPerCall, 1);
  row('authenticate: MOVED answers over all runs', ks, (r) => r.fixed.without.moved + r.fixed.with.moved + r.max.moved, 0);
}
const pl = results.pipeline;
const stage = (r) => r.stages[r.stages.length - 1];
if (pl.node.length + pl.cluster.length) {
  row(`pipeline: pushes completed/s while sending ${opt.stages}/s`, pl, (r) => stage(r).completedPerSecond, 0);
  row('pipeline: service CPU a push (serve), ms', pl, (r) => stage(r).cpuPerPushMs, 2);
  row('pipeline: Redis CPU a push (all nodes), µs', pl, (r) => stage(r).redisCpuPerPushUs, 0);
  row('pipeline: service CPU a push less idle, ms', pl, (r) => stage(r).cpuPerPushLessIdleMs, 2);
  row('pipeline: Redis CPU a push less idle, µs', pl, (r) => stage(r).redisCpuPerPushLessIdleUs, 0);
  row('pipeline: Redis commands a push', pl, (r) => stage(r).redisCommandsPerPush, 1);
  row('pipeline idle: serve CPU, ms a second', pl, (r) => r.idle.serviceCpuPerSecond * 1000, 1);
  row('pipeline idle: Redis CPU (all nodes), ms a second', pl, (r) => r.idle.redisCpuPerSecond * 1000, 1);
  row('pipeline: MOVED answers over the stage', pl, (r) => stage(r).moved, 0);
}
console.log(`\nstarted ${started.when} (load average ${started.load}), ended ${new Date().toISOString()} (load average ${load()});`);
console.log(
  `${started.nproc} × ${started.cpu}; both set-ups share these cores. Each run's figure in run order (node, cluster, cluster, node, …).\n`,
);
console.log('| measure | 1 node (each run) | 3-master cluster (each run) | cluster ÷ node |\n| --- | --- | --- | --- |');
for (const r of rows) console.log(r);

console.log('\nper run: Redis CPU seconds per node and load average');
for (const [bench, runs] of Object.entries(results))
  for (const [name, list] of Object.entries(runs))
    for (const r of list) {
      const m = bench === 'keystore' ? r.max : stage(r);
      const when = bench === 'keystore' ? `${r.loadBefore} → ${r.loadAfter}` : `${r.machine.loadBefore} → ${r.loadAfter}`;
      console.log(
        `  ${bench} ${name}${bench === 'keystore' ? ' (maximum run)' : ''}: Redis CPU s per node ${m.redisCpuSecondsPerNode.join(' + ')}; commands per node ${(m.commandsPerNode ?? m.redisCommandsPerNode).join(' + ')}; load ${when}`,
      );
    }
