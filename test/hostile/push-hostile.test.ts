/**
 * A push that brings hostile files, through the whole service (`neevscan
 * serve` against the GitHub stand-in): one 50 MB line, a binary file, and a
 * file of invalid UTF-8. GitHub leaves the first two without a patch, so the
 * worker fetches their blobs (GitHub's blob API serves up to 100 MB) and scans
 * them as bytes: each key is found where it is, and the worker stays up.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlertStore } from '../../src/stores/alert-store.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { INSTALLATION, deliver, startPipeline, until } from '../helpers/pipeline.js';
import { dumpPrefix } from '../helpers/redis.js';
import { callApi } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { githubPushPayload } from '../helpers/push-payload.js';

const MB = 1024 * 1024;

const pushPayload = (before: string, after: string) => githubPushPayload({ name: 'app', before, after, installation: INSTALLATION });

describe('a push of hostile files', () => {
  it('a 50 MB single line, a binary file and invalid UTF-8: the blobs are fetched and scanned, each key found and revoked, within bounds', async () => {
    const { gh, prefix, redis, serve, owner } = await startPipeline();
    const newKey = async (name: string) =>
      (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name } })).body as { id: string; key: string };
    const [inLine, inBinary, inBadUtf8] = [await newKey('Long line'), await newKey('Binary'), await newKey('Bad UTF-8')];

    const repo = TestRepo.init(join(tempDir(), 'app'));
    const base = repo.commit('initial', { 'README.md': '# app\n' });
    const longLine = Buffer.concat([Buffer.alloc(50 * MB, 'x'), Buffer.from(`;key="${inLine.key}"\n`)]);
    const binary = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
      Buffer.alloc(4096, 0),
      Buffer.from(inBinary.key),
      Buffer.from([0, 0xff, 0xfe]),
    ]);
    const badUtf8 = Buffer.concat([
      Buffer.from('one\ntwo\n'),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
      Buffer.from(` token=${inBadUtf8.key}\n`),
    ]);
    const head = repo.commit('hostile files', { 'dist/bundle.min.js': longLine, 'assets/logo.png': binary, 'config/legacy.ini': badUtf8 });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION });

    const pid = serve.child.pid!;
    const rssKb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    const rssBefore = rssKb('VmRSS');
    const started = Date.now();
    expect((await deliver(serve.url, 'push', pushPayload(base, head), 'hostile-push')).status).toBe(202);

    const status = async (id: string) => (await callApi(serve.url, 'GET', `/api/v1/keys/${id}`)).body.status as string;
    for (const key of [inLine, inBinary, inBadUtf8])
      await until(async () => ((await status(key.id)) === 'revoked' ? true : undefined), 'the keys to be revoked', 60_000);
    const seconds = (Date.now() - started) / 1000;
    const peakKb = rssKb('VmHWM');

    const alerts = new AlertStore(redis, prefix);
    const place = async (id: string) => (await alerts.getByKeyId(id))!.locations[0];
    expect(await place(inLine.id)).toMatchObject({ source: 'push', path: 'dist/bundle.min.js', line: 1 });
    // A PNG's signature holds two newline bytes: binary files are counted in lines like any other.
    expect(await place(inBinary.id)).toMatchObject({ path: 'assets/logo.png', line: 3 });
    expect(await place(inBadUtf8.id)).toMatchObject({ path: 'config/legacy.ini', line: 3 });

    // The big file and the binary had no patch: their blobs were fetched. The text file's patch was enough.
    const files = gh.requests.filter((r) => r.path.includes('/compare/'));
    expect(files).toHaveLength(1);
    const blobs = gh.requests.filter((r) => r.path.includes('/git/blobs/'));
    expect(blobs).toHaveLength(2);

    const run = await until(async () => gh.checkRuns.find((r) => r.head_sha === head && r.conclusion), 'the check run');
    expect(run.conclusion).toBe('failure');
    expect(run.output.annotations).toHaveLength(3);
    expect(serve.child.exitCode).toBeNull();
    expect(serve.output()).not.toMatch(/heap out of memory|FATAL|unhandled/i);
    const dump = Buffer.concat(await dumpPrefix(redis, prefix));
    for (const key of [inLine, inBinary, inBadUtf8]) expect(dump.includes(key.key)).toBe(false);

    console.log(
      `50 MB one-line blob + binary + invalid UTF-8 push: keys revoked ${seconds.toFixed(1)} s after delivery; serve RSS ${Math.round(rssBefore / 1024)} MB before, peak ${Math.round(peakKb / 1024)} MB`,
    );
    // Bounded: the blob is read raw (50 MB, not a 67 MB base64 JSON answer and its decoded copy) and scanned in place.
    expect(peakKb / 1024).toBeLessThan(rssBefore / 1024 + 250);
  }, 120_000);
});
