/**
 * Secret hygiene, end to end. Known keys, made at test time, go through every
 * way a key reaches neevscan: a pushed file (GitHub App, check run), a new
 * repository scanned on installation, a wiki page and a wiki edit summary,
 * issue, pull request, review comment, commit comment, comment, discussion and
 * discussion comment text, a signed partner batch, and the public events feed
 * (`neevscan poll`: a PushEvent and an IssueCommentEvent); owners are told by
 * mail and signed webhook, the security team by mail and Slack. The CLI scans
 * more keys as text, JSON and SARIF, from stdin, --staged and --git.
 *
 * Then every byte the system wrote or said is searched for each key, for its
 * secret part without `neev_`, and for the key as it would read inside base64:
 * every log line of every process (LOG_LEVEL=debug), every Redis key and value
 * under the test prefix (BullMQ job data, streams, hashes, sorted sets…),
 * every alert and export, every dashboard page, every API answer, every mail
 * (headers and body) and webhook (headers and body), every request the
 * service made to GitHub (check runs included), and every CLI output and file
 * it wrote. Zero occurrences; and every key was found, so this cannot pass
 * because nothing ran.
 */
import { createHmac, sign } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { webhookExamples } from '../helpers/webhook-examples.js';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { BIN, neevscanAsync, type CliRun } from '../helpers/cli.js';
import { makeRsaKeyPair, makeSecretScanningKey, startGitHubStandIn } from '../helpers/github/standin.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { APP_ID, INSTALLATION, WEBHOOK_SECRET, until } from '../helpers/pipeline.js';
import { REDIS_URL, deletePrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { callApi, spawnServe } from '../helpers/server.js';
import { startSmtpSink } from '../helpers/smtp.js';
import { changeLastChar } from '../helpers/tamper.js';
import { git, gitRepo, tempDir } from '../helpers/tmp.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

const TOKENS = ['ghp_hygieneTokenOne0000000000000000000000', 'ghp_hygieneTokenTwo0000000000000000000000'];
const byName = (name: string) =>
  (webhookExamples as Array<{ name: string; examples: Array<Record<string, any>> }>).find((e) => e.name === name)!.examples;
const example = (name: string, action?: string) => structuredClone(byName(name).find((e) => action === undefined || e.action === action)!);

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** What to search for: the key, its secret part (no `neev_`), and the key as it reads inside base64 at each of the three alignments. */
function needles(key: string): string[] {
  const base64 = [0, 1, 2].map((pad) => {
    const encoded = Buffer.concat([Buffer.alloc(pad, 0x20), Buffer.from(key)]).toString('base64');
    // Characters touched by the padding before it, or by what follows the key, differ with context: keep the stable middle.
    return encoded.slice(Math.ceil((pad * 4) / 3) + 1, -4);
  });
  return [key, key.slice('neev_'.length), ...base64];
}

/** Every key under the prefix, every value in every type, as text and as its DUMP. */
async function readRedis(redis: Redis, prefix: string): Promise<{ keys: number; text: Buffer[] }> {
  const out: Buffer[] = [];
  let keys = 0;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scanBuffer(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = String(next);
    for (const key of batch) {
      keys++;
      out.push(key);
      const type = await redis.type(key);
      if (type === 'string') out.push((await redis.getBuffer(key)) ?? Buffer.alloc(0));
      else if (type === 'hash')
        for (const [field, value] of Object.entries(await redis.hgetallBuffer(key))) out.push(Buffer.from(field), value);
      else if (type === 'list') out.push(...(await redis.lrangeBuffer(key, 0, -1)));
      else if (type === 'set') out.push(...(await redis.smembersBuffer(key)));
      else if (type === 'zset') out.push(...(await redis.zrangeBuffer(key, 0, -1, 'WITHSCORES')));
      else if (type === 'stream') for (const [id, fields] of await redis.xrangeBuffer(key, '-', '+')) out.push(id, ...fields);
      else throw new Error(`a Redis type this audit does not read: ${type}`);
      const dumped = await redis.dumpBuffer(key);
      if (dumped) out.push(dumped);
    }
  } while (cursor !== '0');
  return { keys, text: out };
}

describe('secret hygiene: no raw key anywhere the system writes or says', () => {
  it('every source, every sink', async () => {
    const started = Date.now();
    // ---- the world: GitHub, mail, owner webhooks, Redis ----
    const appKey = makeRsaKeyPair();
    const partnerKey = makeSecretScanningKey();
    const gh = await startGitHubStandIn({
      appId: APP_ID,
      publicKeyPem: appKey.publicKeyPem,
      tokens: TOKENS,
      pollInterval: 60,
      secretScanningKeys: [partnerKey.publicKey],
    });
    cleanups.push(() => gh.close());
    const smtp = await startSmtpSink();
    cleanups.push(() => smtp.close());
    const hooks = await startWebhookReceiver();
    cleanups.push(() => hooks.close());
    const prefix = freshPrefix();
    const redis = testRedis();
    cleanups.push(async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    });

    const env = {
      NEEVSCAN_REDIS_PREFIX: prefix,
      REDIS_URL,
      LOG_LEVEL: 'debug',
      GITHUB_API_URL: gh.url,
      GITHUB_APP_ID: String(APP_ID),
      GITHUB_APP_PRIVATE_KEY: appKey.pkcs8,
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      GITHUB_TOKEN: TOKENS[0]!,
      GITHUB_TOKENS: TOKENS.join(','),
      REVOKE_POLICY: 'all',
      SMTP_URL: smtp.url,
      MAIL_FROM: 'NeevCloud Security <security@neevcloud.example>',
      SECURITY_TEAM_EMAIL: 'secteam@neevcloud.example',
      SECURITY_TEAM_SLACK_WEBHOOK: `${hooks.url}/slack`,
      NEEVSCAN_ALLOW_PRIVATE_WEBHOOKS: '1',
      NEEVSCAN_NOTIFY_DELAY_MS: '300',
      NEEVSCAN_NOTIFY_BACKOFF_MS: '100',
    };
    const serve = await spawnServe(env);
    cleanups.push(serve.stop);
    let pollOutput = '';
    const poll = spawn(process.execPath, [BIN, 'poll', '--interval', '0.2'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    poll.stdout!.on('data', (d) => (pollOutput += d));
    poll.stderr!.on('data', (d) => (pollOutput += d));
    const pollExited = new Promise<void>((resolve) => poll.once('exit', () => resolve()));
    cleanups.push(async () => {
      if (poll.exitCode === null) poll.kill('SIGTERM');
      await pollExited;
    });

    // API answers are kept for the search, except the ones that hand out a key (by design, the only place a key is ever shown).
    const answers: string[] = [];
    const api = async (method: string, path: string, body?: unknown, token?: string) => {
      const res = await callApi(serve.url, method, path, { body, ...(token ? { token } : {}) });
      answers.push(
        `${method} ${path} ${res.status} ${JSON.stringify([...res.headers])} ${typeof res.body === 'string' ? res.body : JSON.stringify(res.body)}`,
      );
      return res;
    };
    const ownerRes = await api('POST', '/api/v1/owners', { name: 'Acme', email: 'owner@acme.example', webhookUrl: `${hooks.url}/acme` });
    expect(ownerRes.status).toBe(201);
    const owner = ownerRes.body as { id: string; webhookSecret: string };
    const sources = [
      'push',
      'install-scan',
      'wiki-page',
      'wiki-summary',
      'issue',
      'pull-request',
      'review-comment',
      'commit-comment',
      'comment',
      'discussion',
      'discussion-comment',
      'partner',
      'public-push',
      'public-comment',
    ] as const;
    const keys = {} as Record<(typeof sources)[number], { id: string; key: string; hint: string }>;
    for (const source of sources) {
      const res = await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner.id, name: `key for ${source}` } });
      expect(res.status).toBe(201);
      keys[source] = res.body;
    }

    // ---- GitHub: repositories, a wiki, events ----
    const app = TestRepo.init(join(tempDir(), 'app'));
    const base = app.commit('initial', { 'README.md': '# app\n' });
    const head = app.commit('add config', { 'config/app.env': `REGION=in-west-1\nNEEV_API_KEY=${keys.push.key}\n` });
    const wiki = TestRepo.init(join(tempDir(), 'app.wiki'));
    const wikiPage = wiki.commit('Created Home', { 'Home.md': `# Home\n\nexport NEEV_API_KEY=${keys['wiki-page'].key}\n` });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: app.path, private: false, installationId: INSTALLATION, wikiPath: wiki.path });
    const lib = TestRepo.init(join(tempDir(), 'lib'));
    lib.commit('initial', { 'src/client.py': `API_KEY = "${keys['install-scan'].key}"\n` });
    gh.addRepo({ owner: 'octo-org', name: 'lib', path: lib.path, private: false, installationId: INSTALLATION });
    const open = TestRepo.init(join(tempDir(), 'open'));
    const openBase = open.commit('initial', { 'README.md': '# open\n' });
    const openHead = open.commit('oops', {
      'deploy.sh': `curl -H "Authorization: Bearer ${keys['public-push'].key}" https://api.example\n`,
    });
    gh.addRepo({ owner: 'someone', name: 'open', path: open.path, private: false });

    // Failures on the way, so that error paths (retries, their log lines, recorded errors) are searched too.
    gh.fail({ path: /\/compare\//, times: 1, status: 502 });
    smtp.failNext(2, 451);
    hooks.script('/acme', [500]);
    hooks.script('/slack', [503]);

    // ---- deliveries ----
    let n = 0;
    const deliver = async (event: string, payload: unknown) => {
      const body = JSON.stringify(payload);
      const res = await fetch(`${serve.url}/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': event,
          'x-github-delivery': `hygiene-${++n}`,
          'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
        },
        body,
      });
      answers.push(`webhook ${event} ${res.status} ${await res.text()}`);
      expect(res.status, event).toBe(202);
    };
    const repository = {
      ...example('push').repository,
      pushed_at: Math.floor(Date.now() / 1000),
      name: 'app',
      full_name: 'octo-org/app',
      owner: { ...example('push').repository.owner, login: 'octo-org', name: 'octo-org' },
      private: false,
      default_branch: 'main',
      html_url: 'https://github.com/octo-org/app',
      clone_url: `${gh.url}/octo-org/app.git`,
    };
    const installation = { id: INSTALLATION, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=' };
    const pushEx = byName('push').find((e) => e.ref === 'refs/heads/master' && e.installation)!;
    await deliver('push', {
      ...pushEx,
      ref: 'refs/heads/main',
      before: base,
      after: head,
      created: false,
      deleted: false,
      forced: false,
      commits: [{ ...pushEx.commits[0], id: head }],
      head_commit: { ...pushEx.head_commit, id: head, timestamp: new Date().toISOString() },
      repository,
      installation,
    });
    const added = example('installation_repositories', 'added');
    await deliver('installation_repositories', {
      ...added,
      installation: { ...added.installation, id: INSTALLATION },
      repositories_added: [{ id: 2, node_id: 'x', name: 'lib', full_name: 'octo-org/lib', private: false }],
    });
    const gollum = example('gollum');
    await deliver('gollum', {
      ...gollum,
      pages: [
        {
          ...gollum.pages[0],
          page_name: 'Home',
          title: 'Home',
          summary: `rotated ${keys['wiki-summary'].key}`,
          sha: wikiPage,
          html_url: 'https://github.com/octo-org/app/wiki/Home',
        },
      ],
      repository,
      installation,
    });
    const text = (name: string, action: string, item: string, field: string, key: string) => {
      const e = example(name, action);
      return {
        ...e,
        [item]: { ...e[item], [field]: `please help, this fails:\n\n    NEEV_API_KEY=${key}\n` },
        repository: { ...e.repository, private: false },
      };
    };
    await deliver('issues', text('issues', 'opened', 'issue', 'body', keys.issue.key));
    await deliver('pull_request', text('pull_request', 'opened', 'pull_request', 'body', keys['pull-request'].key));
    await deliver(
      'pull_request_review_comment',
      text('pull_request_review_comment', 'created', 'comment', 'body', keys['review-comment'].key),
    );
    await deliver('commit_comment', text('commit_comment', 'created', 'comment', 'body', keys['commit-comment'].key));
    await deliver('issue_comment', text('issue_comment', 'created', 'comment', 'body', keys.comment.key));
    await deliver('discussion', text('discussion', 'created', 'discussion', 'body', keys.discussion.key));
    await deliver('discussion_comment', text('discussion_comment', 'created', 'comment', 'body', keys['discussion-comment'].key));

    const partnerBody = JSON.stringify([
      { token: keys.partner.key, type: 'neevcloud_api_key', url: 'https://gist.github.com/someone/abc123', source: 'gist_content' },
    ]);
    const partner = await fetch(`${serve.url}/github/secret-scanning`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'Github-Public-Key-Identifier': partnerKey.publicKey.key_identifier,
        'Github-Public-Key-Signature': sign('sha256', Buffer.from(partnerBody), partnerKey.privateKey).toString('base64'),
      },
      body: partnerBody,
    });
    const partnerAnswer = await partner.text();
    answers.push(`partner ${partner.status} ${partnerAnswer}`);
    expect(JSON.parse(partnerAnswer)).toEqual([
      { token_hash: sha256Hex(keys.partner.key), token_type: 'neevcloud_api_key', label: 'true_positive' },
    ]);

    // Hostile or mistaken requests that carry a key: a forged delivery, a key the gateway asks about, a token GitHub reports twice.
    const forged = JSON.stringify(text('issue_comment', 'created', 'comment', 'body', keys.comment.key));
    const refused = await fetch(`${serve.url}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issue_comment',
        'x-github-delivery': 'forged-1',
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      },
      body: forged,
    });
    answers.push(`forged ${refused.status} ${await refused.text()}`);
    expect(refused.status).toBe(401);
    const gateway = (await callApi(serve.url, 'POST', '/api/v1/tokens', { body: { name: 'gateway', scope: 'gateway' } })).body
      .token as string;
    expect((await api('POST', '/api/v1/authenticate', { key: changeLastChar(keys.push.key) }, gateway)).status).toBe(401);

    gh.pushEvent({
      type: 'PushEvent',
      repo: { id: 3, name: 'someone/open', url: `${gh.url}/repos/someone/open` },
      payload: { repository_id: 3, push_id: 30, ref: 'refs/heads/main', head: openHead, before: openBase },
    });
    gh.pushEvent({
      type: 'IssueCommentEvent',
      repo: { id: 3, name: 'someone/open', url: `${gh.url}/repos/someone/open` },
      payload: {
        action: 'created',
        issue: { number: 9, title: 'broken' },
        comment: {
          id: 99,
          body: `my config:\nNEEV_API_KEY=${keys['public-comment'].key}`,
          html_url: 'https://github.com/someone/open/issues/9#issuecomment-99',
        },
      },
    });

    // ---- the CLI, on keys of its own ----
    const cli = { file: generateKey(), stdin: generateKey(), staged: generateKey(), history: generateKey() };
    const repo = gitRepo();
    writeFileSync(join(repo, 'old.env'), `TOKEN=${cli.history}\n`);
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'a key');
    writeFileSync(join(repo, 'old.env'), 'TOKEN=from-vault\n');
    writeFileSync(join(repo, 'app.env'), `# settings\nNEEV_API_KEY=${cli.file}\n`);
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'remove it');
    const runs: Array<[string, CliRun]> = [];
    // Asynchronous: the owner webhook receiver and the SMTP sink live in this process, and a CLI run that blocked its
    // event loop would keep them from answering the service (which then times out and sends again, as it should).
    const run = async (what: string, args: string[], input?: string) => {
      const result = await neevscanAsync(args, { cwd: repo, input, env: { LOG_LEVEL: 'debug' } });
      runs.push([what, result]);
      return result;
    };
    for (const format of ['text', 'json', 'sarif'])
      expect((await run(`scan . ${format}`, ['scan', '.', '--format', format])).status).toBe(1);
    expect(
      (await run('scan --output', ['scan', '.', '--format', 'sarif', '--output', join(repo, '..', `${repo.split('/').pop()}.sarif`)]))
        .status,
    ).toBe(1);
    expect(
      (await run('write-baseline', ['scan', '.', '--write-baseline', join(repo, '..', `${repo.split('/').pop()}.baseline.json`)])).status,
    ).toBe(0);
    const fromStdin = await run('stdin', ['scan', '-', '--format', 'json'], `x=${cli.stdin}\n`);
    expect(JSON.parse(fromStdin.stdout).findings).toEqual([expect.objectContaining({ secretSha256: sha256Hex(cli.stdin) })]);
    writeFileSync(join(repo, 'staged.env'), `KEY=${cli.staged}\n`);
    git(repo, 'add', 'staged.env');
    const staged = await run('staged', ['scan', '--staged', '--format', 'json']);
    expect(JSON.parse(staged.stdout).findings).toEqual([
      expect.objectContaining({ file: 'staged.env', secretSha256: sha256Hex(cli.staged) }),
    ]);
    const history = await run('git', ['scan', '--git', '--format', 'json']);
    expect(
      JSON.parse(history.stdout)
        .findings.map((f: { secretSha256: string }) => f.secretSha256)
        .sort(),
    ).toEqual([sha256Hex(cli.history), sha256Hex(cli.file)].sort());
    await run('git text', ['scan', '--git']);
    const cliFiles = [
      readFileSync(join(repo, '..', `${repo.split('/').pop()}.sarif`), 'utf8'),
      readFileSync(join(repo, '..', `${repo.split('/').pop()}.baseline.json`), 'utf8'),
    ];

    // ---- every key found: revoked, alerted, owner and team told ----
    const status = async (id: string) => (await callApi(serve.url, 'GET', `/api/v1/keys/${id}`)).body.status as string;
    for (const source of sources)
      await until(
        async () => ((await status(keys[source].id)) === 'revoked' ? true : undefined),
        `the ${source} key to be revoked`,
        40_000,
      );
    const alertList = async () =>
      (await callApi(serve.url, 'GET', '/api/v1/alerts?limit=200')).body.alerts as Array<{
        id: string;
        keyId: string;
        locations: Array<{ source: string }>;
        notifications: Array<{ channel: string; status: string }>;
      }>;
    const alerts = await until(
      async () => {
        const list = await alertList();
        const done = sources.every((s) => {
          const alert = list.find((a) => a.keyId === keys[s].id);
          return (
            alert &&
            ['email', 'webhook', 'security-email', 'slack'].every((channel) =>
              alert.notifications.some((x) => x.channel === channel && x.status === 'sent'),
            )
          );
        });
        return done ? list : undefined;
      },
      'every alert notified on every channel',
      40_000,
    );
    const sourceOf = (s: (typeof sources)[number]) => alerts.find((a) => a.keyId === keys[s].id)!.locations[0]!.source;
    expect(Object.fromEntries(sources.map((s) => [s, sourceOf(s)]))).toEqual({
      push: 'push',
      'install-scan': 'install-scan',
      'wiki-page': 'wiki',
      'wiki-summary': 'wiki',
      issue: 'issue',
      'pull-request': 'pull_request',
      'review-comment': 'comment',
      'commit-comment': 'comment',
      comment: 'comment',
      discussion: 'discussion',
      'discussion-comment': 'discussion',
      partner: 'partner',
      'public-push': 'public-events',
      'public-comment': 'public-events',
    });
    // Revoked now: the gateway's question gets the one answer for anything that is not an active key.
    for (const source of sources) expect((await api('POST', '/api/v1/authenticate', { key: keys[source].key }, gateway)).status).toBe(401);
    const checkRun = await until(async () => gh.checkRuns.find((r) => r.head_sha === head && r.conclusion), 'the check run');
    expect(checkRun.conclusion).toBe('failure');
    expect(smtp.messages.filter((m) => m.to.includes('owner@acme.example'))).toHaveLength(sources.length);
    // One owner webhook per alert, one more for the first delivery answered 500 and retried.
    expect(hooks.requests.filter((r) => r.path === '/acme' && r.status < 300)).toHaveLength(sources.length);
    expect(hooks.requests.filter((r) => r.path === '/acme' && r.status === 500)).toHaveLength(1);

    // ---- read everything it shows: API, exports, dashboard ----
    for (const alert of alerts) {
      await api('GET', `/api/v1/alerts/${alert.id}`);
      await api('GET', `/api/v1/alerts/${alert.id}/audit`);
    }
    await api('GET', '/api/v1/alerts?limit=200');
    await api('GET', '/api/v1/alerts/counts');
    await api('GET', '/api/v1/alerts/export?format=csv');
    await api('GET', '/api/v1/alerts/export?format=json');
    await api('GET', `/api/v1/keys?ownerId=${owner.id}`);
    await api('GET', `/api/v1/owners/${owner.id}`);
    for (const source of sources) await api('GET', `/api/v1/keys/${keys[source].id}`);
    answers.push(await (await fetch(`${serve.url}/metrics`)).text());
    const security = (await callApi(serve.url, 'POST', '/api/v1/tokens', { body: { name: 'auditor@security.example', scope: 'security' } }))
      .body.token as string;
    const login = await fetch(`${serve.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ token: security, next: '/' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: serve.url, 'sec-fetch-site': 'same-origin' },
    });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = async (path: string) => {
      const res = await fetch(`${serve.url}${path}`, { headers: { cookie }, redirect: 'manual' });
      expect(res.status, path).toBe(200);
      const body = await res.text();
      answers.push(`dashboard ${path} ${body}`);
      return body;
    };
    expect(await page('/?state=')).toContain(keys.push.hint);
    for (const path of ['/ui/rows?state=', '/export.csv?state=', '/export.json?state=']) await page(path);
    for (const alert of alerts) expect(await page(`/alerts/${alert.id}`)).toContain('neev_…');

    // ---- search ----
    expect(await new Promise<number | null>((resolve) => (poll.kill('SIGTERM'), poll.once('exit', resolve)))).toBe(0);
    const logs = serve.output() + pollOutput;
    const logLines = logs.split('\n').filter(Boolean).length;
    const fromRedis = await readRedis(redis, prefix);
    // Raw as sent, and decoded (quoted-printable breaks long lines with soft breaks that could split a key).
    const mails = smtp.messages.map((m) => `${m.raw}\n${m.subject}\n${JSON.stringify(m.headers)}\n${m.text}\n${m.html}`);
    const webhooks = hooks.requests.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.headers)}\n${r.body}`);
    const github = gh.requests.map(
      (r) => `${r.method} ${r.path} ${JSON.stringify(r.query)} ${JSON.stringify(r.headers)} ${JSON.stringify(r.body)}`,
    );
    const cliOutput = runs.map(([what, r]) => `${what}\n${r.stdout}\n${r.stderr}`);
    const haystacks: Array<[string, Buffer]> = [
      ['logs', Buffer.from(logs)],
      ['redis', Buffer.concat(fromRedis.text)],
      ['mails', Buffer.from(mails.join('\n'))],
      ['webhooks', Buffer.from(webhooks.join('\n'))],
      ['check runs', Buffer.from(JSON.stringify(gh.checkRuns))],
      ['requests to GitHub', Buffer.from(github.join('\n'))],
      ['API, exports and dashboard', Buffer.from(answers.join('\n'))],
      ['CLI output and files', Buffer.from([...cliOutput, ...cliFiles].join('\n'))],
    ];
    const allKeys = [...sources.map((s) => keys[s].key), ...Object.values(cli)];
    const leaks: string[] = [];
    for (const [where, haystack] of haystacks) {
      for (const key of allKeys)
        for (const needle of needles(key))
          if (haystack.includes(needle)) leaks.push(`${where}: ${needle === key ? 'the key' : 'part of the key'} ${key.slice(0, 9)}…`);
    }
    expect(leaks).toEqual([]);
    // The search would have seen a key had one been there: the hints and hashes the system does show are there.
    expect(Buffer.concat(fromRedis.text).includes(sha256Hex(keys.push.key))).toBe(true);
    expect(mails.join('\n')).toContain(keys.comment.hint);

    const figures = {
      keys: allKeys.length,
      serviceSources: sources.length,
      cliRuns: runs.length,
      logLines,
      redisKeys: fromRedis.keys,
      redisBytes: Buffer.concat(fromRedis.text).length,
      mails: mails.length,
      webhooks: webhooks.length,
      githubRequests: github.length,
      checkRuns: gh.checkRuns.length,
      apiAndDashboardAnswers: answers.length,
      alerts: alerts.length,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(`secret hygiene: ${JSON.stringify(figures)}`);
    if (process.env.HYGIENE_SHOW_LOGS) console.log(logs);
  }, 90_000);
});
