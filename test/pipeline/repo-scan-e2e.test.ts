import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { webhookExamples } from '../helpers/webhook-examples.js';
import { describe, expect, it } from 'vitest';
import { AlertStore } from '../../src/stores/alert-store.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { INSTALLATION, deliver, startPipeline, until } from '../helpers/pipeline.js';
import { callApi } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

const example = (name: string, pick: (p: Record<string, any>) => boolean) =>
  (webhookExamples as Array<{ name: string; examples: Array<Record<string, any>> }>).find((e) => e.name === name)!.examples.find(pick)!;

describe('whole-repository scans', () => {
  it('a repository added to the installation: keys on its default branch are found and, public, revoked', async () => {
    const { gh, prefix, redis, serve, owner } = await startPipeline();
    const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Legacy' } })).body;
    const repo = TestRepo.init(join(tempDir(), 'legacy'));
    repo.commit('old code', { 'deploy/config.yml': `api:\n  key: ${created.key}\n`, 'README.md': '# legacy\n' });
    gh.addRepo({ owner: 'octo-org', name: 'legacy', path: repo.path, private: false, installationId: INSTALLATION });

    const base = example('installation_repositories', (p) => p.action === 'added');
    const payload = {
      ...base,
      installation: { ...base.installation, id: INSTALLATION },
      repositories_added: [{ ...base.repositories_added[0], name: 'legacy', full_name: 'octo-org/legacy', private: false }],
    };
    const res = await deliver(serve.url, 'installation_repositories', payload, 'install-1');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'queued', repositories: 1 });

    await until(
      async () => ((await callApi(serve.url, 'GET', `/api/v1/keys/${created.id}`)).body.status === 'revoked' ? true : undefined),
      'the key to be revoked',
    );
    const alerts = new AlertStore(redis, prefix);
    const alert = await until(async () => (await alerts.getByKeyId(created.id)) ?? undefined, 'the alert');
    expect(alert.locations).toEqual([
      expect.objectContaining({ source: 'install-scan', repo: 'octo-org/legacy', path: 'deploy/config.yml', line: 2 }),
    ]);

    // A fork shares the blobs: it is scanned without fetching them again, and its place joins the same alert.
    const fork = join(tempDir(), 'legacy-fork');
    execFileSync('git', ['clone', '-q', '--bare', repo.path, fork]);
    gh.addRepo({ owner: 'someone', name: 'legacy-fork', path: fork, private: false, installationId: INSTALLATION });
    const forkPayload = {
      ...payload,
      repositories_added: [{ ...payload.repositories_added[0], name: 'legacy-fork', full_name: 'someone/legacy-fork' }],
    };
    expect((await deliver(serve.url, 'installation_repositories', forkPayload, 'install-2')).status).toBe(202);
    const both = await until(async () => {
      const a = await alerts.getByKeyId(created.id);
      return a && a.locations.length === 2 ? a : undefined;
    }, 'the fork’s place on the alert');
    expect(both.locations.map((l) => l.repo).sort()).toEqual(['octo-org/legacy', 'someone/legacy-fork']);
    expect(gh.requests.filter((r) => r.path.startsWith('/repos/someone/legacy-fork/git/blobs/'))).toEqual([]);
  });

  it('a repository added to the installation: a key behind `neevscan:allow` and a key in a file name are revoked; the name is stored with the hint', async () => {
    const { gh, serve, owner, redis, prefix } = await startPipeline();
    const newKey = async (name: string) => (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name } })).body;
    const [marked, named] = [await newKey('Marked'), await newKey('Named')];
    const repo = TestRepo.init(join(tempDir(), 'hidden'));
    repo.commit('old code', {
      'src/client.js': `const key = "${marked.key}"; // neevscan:allow\n`,
      [`keys/${named.key}.txt`]: 'see name\n',
    });
    gh.addRepo({ owner: 'octo-org', name: 'hidden', path: repo.path, private: false, installationId: INSTALLATION });
    const base = example('installation_repositories', (p) => p.action === 'added');
    const payload = {
      ...base,
      installation: { ...base.installation, id: INSTALLATION },
      repositories_added: [{ ...base.repositories_added[0], name: 'hidden', full_name: 'octo-org/hidden', private: false }],
    };
    expect((await deliver(serve.url, 'installation_repositories', payload, 'install-hidden')).status).toBe(202);

    const alerts = new AlertStore(redis, prefix);
    for (const key of [marked, named]) {
      await until(
        async () => ((await callApi(serve.url, 'GET', `/api/v1/keys/${key.id}`)).body.status === 'revoked' ? true : undefined),
        'the key to be revoked',
      );
    }
    const markedAlert = await until(async () => (await alerts.getByKeyId(marked.id)) ?? undefined, 'the alert');
    expect(markedAlert.locations).toEqual([
      expect.objectContaining({ source: 'install-scan', path: 'src/client.js', line: 1, allowMarker: true }),
    ]);
    const namedAlert = await until(async () => (await alerts.getByKeyId(named.id)) ?? undefined, 'the alert');
    expect(namedAlert.locations).toEqual([
      expect.objectContaining({
        source: 'install-scan',
        path: `keys/${named.hint}.txt`,
        line: null,
        field: 'path',
        url: expect.stringMatching(/\/tree\/[0-9a-f]{40}\/keys$/),
      }),
    ]);
    expect(JSON.stringify(namedAlert)).not.toContain(named.key);
  });

  it('a repository made public: a key its history held, though since removed, is revoked', async () => {
    const { gh, serve, owner } = await startPipeline();
    const created = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Old' } })).body;
    const repo = TestRepo.init(join(tempDir(), 'opened'));
    repo.commit('start', { 'a.txt': 'a\n' });
    repo.commit('oops', { 'src/app.js': `const key = "${created.key}";\n` });
    repo.commit('remove the key', { 'src/app.js': 'const key = process.env.NEEV_API_KEY;\n' });
    gh.addRepo({ owner: 'octo-org', name: 'opened', path: repo.path, private: false, installationId: INSTALLATION });

    const base = example('public', (p) => !!p.installation);
    const payload = {
      ...base,
      installation: { ...base.installation, id: INSTALLATION },
      repository: {
        ...base.repository,
        name: 'opened',
        full_name: 'octo-org/opened',
        private: false,
        owner: { ...base.repository.owner, login: 'octo-org' },
      },
    };
    expect((await deliver(serve.url, 'public', payload, 'public-1')).status).toBe(202);
    const revoked = await until(async () => {
      const record = (await callApi(serve.url, 'GET', `/api/v1/keys/${created.id}`)).body;
      return record.status === 'revoked' ? record : undefined;
    }, 'the key to be revoked');
    expect(revoked.revokedReason).toContain('octo-org/opened');
  });
});
