// The test GitHub stand-in (test/helpers/github, compiled to bench/.data/standin-js by
// bench/lib/compile-standin.mjs) in a process of its own, forked and driven over IPC by
// bench/lib/standin-process.mjs, so that its git processes do not stall the load generator's event loop.
//
// Two modes:
//   live   GITHUB_API_URL is the stand-in itself: every compare runs ~9 git processes.
//   replay GITHUB_API_URL is a thin caching front: a GET under /repos/ that the stand-in has
//          answered 200 once (the bench warms every compare it will deliver) is answered again
//          from memory, with the same status, headers and body; anything else (tokens, check
//          runs) goes through to the stand-in. This is "GitHub at zero latency" without the
//          stand-in's own git cost, which is not GitHub's.
//
// Messages in:  { type: 'start', appId, publicKeyPem, privateKeyPem, mode }
//               { type: 'addRepo', id, options }   { type: 'warm', id, urls: [[installationId, path]] }
//               { type: 'stats', id }              { type: 'close' }
//               start may also carry tokens (accepted as they are, for GITHUB_TOKENS) and pollInterval;
//               { type: 'pushEvent', id, event } adds an event to GET /events and answers its id (bench/poller.mjs).
// Messages out: { type: 'ready', url, standinUrl } and { id, result } answers.
import { createSign } from 'node:crypto';
import { Agent, createServer, request } from 'node:http';
import { startGitHubStandIn } from '../.data/standin-js/standin.js';

let gh;
let front;
let privateKeyPem;
let appId;
const cache = new Map();
const stats = { hits: 0, misses: 0, passed: 0, byKind: {} };
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function kind(method, path) {
  if (path.includes('/compare/')) return 'compare';
  if (path.includes('/check-runs')) return `${method} check-runs`;
  if (path.includes('/access_tokens')) return 'access token';
  if (path.includes('/git/blobs/')) return 'blob';
  if (path.includes('/commits')) return 'commits';
  if (path.startsWith('/events')) return 'events';
  return `${method} other`;
}

function forward(req, body) {
  return new Promise((resolve, reject) => {
    const target = new URL(gh.url);
    const out = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
        agent,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

function startFront() {
  return new Promise((resolve) => {
    front = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', async () => {
        const path = req.url ?? '/';
        const k = kind(req.method, path);
        stats.byKind[k] = (stats.byKind[k] ?? 0) + 1;
        const cacheable = req.method === 'GET' && path.startsWith('/repos/');
        const key = `${path} ${req.headers.accept ?? ''}`;
        let answer = cacheable ? cache.get(key) : undefined;
        if (answer) stats.hits++;
        else {
          try {
            answer = await forward(req, Buffer.concat(chunks));
          } catch (error) {
            res.statusCode = 502;
            return res.end(String(error));
          }
          if (cacheable) {
            stats.misses++;
            if (answer.status === 200) cache.set(key, answer);
          } else stats.passed++;
        }
        const headers = { ...answer.headers };
        delete headers.connection;
        delete headers['keep-alive'];
        delete headers['transfer-encoding'];
        res.writeHead(answer.status, headers);
        res.end(answer.body);
      });
    });
    front.keepAliveTimeout = 60_000;
    front.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${front.address().port}`));
  });
}

function appJwt() {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const data = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ iat: now - 30, exp: now + 540, iss: String(appId) })}`;
  return `${data}.${createSign('RSA-SHA256').update(data).sign(privateKeyPem, 'base64url')}`;
}

async function warm(urls) {
  const tokens = new Map();
  const base = front.address().port;
  let next = 0;
  let failed = 0;
  const one = async () => {
    while (next < urls.length) {
      const [installation, path] = urls[next++];
      if (!tokens.has(installation)) {
        const r = await fetch(`http://127.0.0.1:${base}/app/installations/${installation}/access_tokens`, {
          method: 'POST',
          headers: { authorization: `Bearer ${appJwt()}`, accept: 'application/vnd.github.v3+json' },
        });
        tokens.set(installation, (await r.json()).token);
      }
      // octokit sends this accept header for JSON answers. A reset connection (a kept-alive socket the front closed
      // as it was reused, on a loaded machine) is tried again.
      for (let attempt = 1; ; attempt++) {
        try {
          const r = await fetch(`http://127.0.0.1:${base}${path}`, {
            headers: { authorization: `token ${tokens.get(installation)}`, accept: 'application/vnd.github.v3+json' },
          });
          await r.arrayBuffer();
          if (r.status !== 200) failed++;
          break;
        } catch (error) {
          if (attempt >= 3) throw error;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, one));
  // Warming spent the stand-in's rate-limit budget as GitHub would; it is not what the bench measures.
  gh.requests.length = 0;
  return { warmed: urls.length, failed };
}

process.on('message', async (message) => {
  if (message.type === 'start') {
    appId = message.appId;
    privateKeyPem = message.privateKeyPem;
    gh = await startGitHubStandIn({
      appId: message.appId,
      publicKeyPem: message.publicKeyPem,
      rateLimit: { limit: 100_000_000 },
      ...(message.tokens ? { tokens: message.tokens } : {}),
      ...(message.pollInterval ? { pollInterval: message.pollInterval } : {}),
    });
    const frontUrl = await startFront();
    // The stand-in records every request; the bench does not need them (memory).
    setInterval(() => (gh.requests.length = 0), 1000).unref();
    process.send({ type: 'ready', url: message.mode === 'replay' ? frontUrl : gh.url, frontUrl, standinUrl: gh.url });
  } else if (message.type === 'addRepo') {
    gh.addRepo(message.options);
    process.send({ id: message.id, result: true });
  } else if (message.type === 'warm') {
    process.send({ id: message.id, result: await warm(message.urls) });
  } else if (message.type === 'pushEvent') {
    process.send({ id: message.id, result: gh.pushEvent(message.event).id });
  } else if (message.type === 'stats') {
    process.send({
      id: message.id,
      result: { ...stats, cached: cache.size, checkRuns: gh.checkRuns.length, rss: process.memoryUsage().rss },
    });
  } else if (message.type === 'close') {
    front.closeAllConnections();
    front.close();
    await gh.close();
    process.exit(0);
  }
});

// The bench exited (or crashed) without saying close: do not outlive it.
process.on('disconnect', () => process.exit(0));
