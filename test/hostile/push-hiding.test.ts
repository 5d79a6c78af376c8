/**
 * Pushes built to hide a live key from the service, through the whole service
 * (`neevscan serve` against the GitHub stand-in): a `neevscan:allow` marker on
 * the key's line, a commit of 3,000 filler files before the key's commit, a
 * tree GitHub cuts short, and a key written into a file's name.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { locationRecord } from '../../src/core/exposure.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { INSTALLATION, deliver, startPipeline, until, type PipelineOptions } from '../helpers/pipeline.js';
import { dumpPrefix } from '../helpers/redis.js';
import { callApi } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { githubPushPayload } from '../helpers/push-payload.js';

const pushPayload = (name: string, before: string, after: string) => githubPushPayload({ name, before, after, installation: INSTALLATION });

/** `count` files of the same text: GitHub lists every one, though they are one blob. */
const filler = (count: number, folder = 'filler') =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`${folder}/f${String(i).padStart(4, '0')}.txt`, 'filler\n']));

async function setup(standIn: PipelineOptions['standIn'] = {}) {
  const pipeline = await startPipeline(undefined, { standIn });
  const newKey = async (name: string) =>
    (await callApi(pipeline.serve.url, 'POST', '/api/v1/keys', { body: { ownerId: pipeline.owner, name } })).body as {
      id: string;
      key: string;
      hint: string;
    };
  const revoked = (id: string) =>
    until(
      async () => ((await callApi(pipeline.serve.url, 'GET', `/api/v1/keys/${id}`)).body.status === 'revoked' ? true : undefined),
      'the key to be revoked',
      60_000,
    );
  const checkRun = (head: string) =>
    until(async () => pipeline.gh.checkRuns.find((r) => r.head_sha === head && r.conclusion), 'the check run', 60_000);
  const alerts = new AlertStore(pipeline.redis, pipeline.prefix);
  const alertOf = (id: string) => until(async () => (await alerts.getByKeyId(id)) ?? undefined, 'the alert');
  return { ...pipeline, newKey, revoked, checkRun, alertOf };
}

describe('a push that hides a key', () => {
  it('behind `neevscan:allow`: a live key is revoked and alerted (the alert records the marker), and the check run fails', async () => {
    const { gh, serve, newKey, revoked, checkRun, alertOf } = await setup();
    const [marked, inBundle] = [await newKey('Marked'), await newKey('Bundle')];
    const fixture = 'neev_000000000000000000000000000000000Z2ChR'; // neevscan:allow (a test vector, no key of the store)
    const repo = TestRepo.init(join(tempDir(), 'app'));
    const base = repo.commit('initial', { 'README.md': '# app\n' });
    const head = repo.commit('fixtures', {
      'config/app.ts': `export const key = '${marked.key}'; // neevscan:allow\nexport const vector = '${fixture}'; // neevscan:allow\n`,
      // One marker on a minified bundle's only line.
      'dist/app.min.js': `var a=1;var k="${inBundle.key}";/* neevscan:allow */var b=2;\n`,
    });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION });
    expect((await deliver(serve.url, 'push', pushPayload('app', base, head), 'allow-push')).status).toBe(202);

    await revoked(marked.id);
    await revoked(inBundle.id);
    expect((await alertOf(marked.id)).locations[0]).toMatchObject({ source: 'push', path: 'config/app.ts', line: 1, allowMarker: true });
    expect((await alertOf(inBundle.id)).locations[0]).toMatchObject({ path: 'dist/app.min.js', line: 1, allowMarker: true });
    const run = await checkRun(head);
    expect(run.conclusion).toBe('failure');
    // The marked test vector is no key of the store: it stays the fixture its marker says, not an annotation.
    expect(run.output.annotations.map((a: { path: string; start_line: number }) => [a.path, a.start_line]).sort()).toEqual([
      ['config/app.ts', 1],
      ['dist/app.min.js', 1],
    ]);
  });

  it('after a commit of 3,000 filler files: the key commit is still read, the key revoked, the check run fails', async () => {
    const { gh, serve, newKey, revoked, checkRun, alertOf } = await setup();
    const key = await newKey('After filler');
    const repo = TestRepo.init(join(tempDir(), 'app'));
    const base = repo.commit('initial', { 'README.md': '# app\n' });
    repo.commit('vendor', filler(3000));
    const head = repo.commit('config', { 'config/app.env': `NEEV_API_KEY=${key.key}\n` });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION });
    expect((await deliver(serve.url, 'push', pushPayload('app', base, head), 'filler-push')).status).toBe(202);

    await revoked(key.id);
    const alert = await alertOf(key.id);
    expect(alert.locations[0]).toMatchObject({ source: 'push', path: 'config/app.env', line: 1, commit: head });
    expect(locationRecord(alert.locations[0]!).scanIncomplete).toBeUndefined();
    const run = await checkRun(head);
    expect(run.conclusion).toBe('failure');
    expect(run.output.title).toBe('1 NeevCloud API key found');
    // The filler commit's 3,000 files were read as trees (one blob), not listed again page by page.
    expect(gh.requests.filter((r) => r.path.includes('/git/trees/')).length).toBeGreaterThan(0);
  }, 120_000);

  it('where GitHub cuts a tree short: the check run is not `success` and says what was not scanned; a key found anyway is revoked, its alert says the push was not wholly read', async () => {
    // GitHub cuts a recursive tree at 100,000 entries; the stand-in at 100, so that 3,001 filler files overflow it.
    const { gh, serve, newKey, revoked, checkRun, alertOf } = await setup({ limits: { treeEntries: 100 } });
    const key = await newKey('In a cut tree');
    const repo = TestRepo.init(join(tempDir(), 'app'));
    const base = repo.commit('initial', { 'README.md': '# app\n' });
    const fill = repo.commit('vendor', filler(3001, 'zz-vendor'));
    // `a.env` sorts before the filler: it is among the entries GitHub does list.
    const keyed = repo.commit('config', { 'a.env': `K=${key.key}\n` });
    const clean = repo.commit('more vendor', filler(3001, 'zz-more'));
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION });

    expect((await deliver(serve.url, 'push', pushPayload('app', base, keyed), 'cut-push-1')).status).toBe(202);
    await revoked(key.id);
    expect((await alertOf(key.id)).locations[0]).toMatchObject({ path: 'a.env', line: 1, scanIncomplete: true });
    const failed = await checkRun(keyed);
    expect(failed.conclusion).toBe('failure');
    expect(failed.output.title).toMatch(/part of the push not scanned/);

    expect((await deliver(serve.url, 'push', pushPayload('app', keyed, clean), 'cut-push-2')).status).toBe(202);
    const unread = await checkRun(clean);
    expect(unread.conclusion).toBe('neutral');
    expect(unread.output.title).toBe('Part of this push could not be scanned');
    expect(unread.output.summary).toMatch(/Not scanned \(\d+ files, 1 commits\):/);
    expect(unread.output.summary).toMatch(/cut the tree of commit/);
    expect(serve.output()).toMatch(/not wholly scanned/);
    expect(fill).not.toBe(keyed);
  }, 120_000);

  it('in a file name: found, revoked, alerted at the name with the key replaced by its hint, never the key itself', async () => {
    const { gh, serve, prefix, redis, newKey, revoked, checkRun, alertOf } = await setup();
    const [inName, inFolder, inside] = [await newKey('In a name'), await newKey('In a folder'), await newKey('Inside the named file')];
    const repo = TestRepo.init(join(tempDir(), 'app'));
    const base = repo.commit('initial', { 'README.md': '# app\n' });
    const head = repo.commit('names', {
      [`config/${inName.key}.env`]: `K=${inside.key}\n`,
      [`secrets/${inFolder.key}/a.txt`]: 'a\n',
      [`secrets/${inFolder.key}/b.txt`]: 'b\n',
    });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION });
    expect((await deliver(serve.url, 'push', pushPayload('app', base, head), 'name-push')).status).toBe(202);

    await revoked(inName.id);
    await revoked(inFolder.id);
    const named = await alertOf(inName.id);
    expect(named.locations).toEqual([
      expect.objectContaining({
        source: 'push',
        path: `config/${inName.hint}.env`,
        line: null,
        field: 'path',
        commit: head,
        url: `https://github.com/octo-org/app/tree/${head}/config`,
      }),
    ]);
    expect((await alertOf(inFolder.id)).locations).toEqual([
      expect.objectContaining({ path: `secrets/${inFolder.hint}`, line: null, field: 'path' }),
    ]);
    // A key inside that file: its place names the file with the other key hidden too, and links to the folder.
    await revoked(inside.id);
    const insideAlert = await alertOf(inside.id);
    expect(insideAlert.locations).toEqual([
      expect.objectContaining({ path: `config/${inName.hint}.env`, line: 1, url: `https://github.com/octo-org/app/tree/${head}/config` }),
    ]);
    expect(locationRecord(insideAlert.locations[0]!).field).toBeUndefined();
    const key = await callApi(serve.url, 'GET', `/api/v1/keys/${inName.id}`);
    expect(key.body.revokedReason).toContain(`config/${inName.hint}.env`);

    const run = await checkRun(head);
    expect(run.conclusion).toBe('failure');
    expect(run.output.summary).toContain(`config/${inName.hint}.env`);
    expect(run.output.summary).toContain(`secrets/${inFolder.hint}`);
    expect(run.output.summary).toContain(`\`config/${inName.hint}.env\`, line 1`);
    expect(run.output.annotations).toEqual([]);
    for (const raw of [inName.key, inFolder.key]) {
      expect(JSON.stringify(gh.checkRuns)).not.toContain(raw);
      expect(JSON.stringify(gh.requests.filter((r) => r.method !== 'GET'))).not.toContain(raw);
      expect(JSON.stringify(await alertOf(inName.id))).not.toContain(raw);
      expect(JSON.stringify(insideAlert)).not.toContain(raw);
      expect(await dumpPrefix(redis, prefix)).not.toContain(raw);
      expect(serve.output()).not.toContain(raw);
    }
  });
});
