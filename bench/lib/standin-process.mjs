// The GitHub stand-in in a process of its own (github-standin.mjs, forked), so that its git processes do not stall
// the load generator's event loop; each call is one IPC message answered by id.
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'github-standin.mjs');

/**
 * Forks the stand-in and starts it with `start` (github-standin.mjs's start message: appId, publicKeyPem,
 * privateKeyPem, mode, and optionally tokens and pollInterval). Resolves once it listens, with its url and pid.
 */
export async function forkStandIn(start) {
  const child = fork(SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 0;
  const pending = new Map();
  let ready;
  const readyP = new Promise((r) => (ready = r));
  child.on('message', (m) => {
    if (m.type === 'ready') ready(m);
    else {
      pending.get(m.id)?.(m.result);
      pending.delete(m.id);
    }
  });
  const call = (message) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ ...message, id });
    });
  child.send({ ...start, type: 'start' });
  const { url } = await readyP;
  return {
    url,
    pid: child.pid,
    addRepo: (options) => call({ type: 'addRepo', options }),
    warm: (urls) => call({ type: 'warm', urls }),
    pushEvent: (event) => call({ type: 'pushEvent', event }),
    stats: () => call({ type: 'stats' }),
    close: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.send({ type: 'close' })))),
  };
}
