import { join } from 'node:path';
import { webhookExamples } from '../helpers/webhook-examples.js';
import { describe, expect, it } from 'vitest';
import { wikiGitUrl } from '../../src/github/wiki.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { INSTALLATION, deliver, startPipeline as setup, until } from '../helpers/pipeline.js';
import { dumpPrefix } from '../helpers/redis.js';
import { callApi } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

const gollumExample = (webhookExamples as Array<{ name: string; examples: Array<Record<string, any>> }>).find((e) => e.name === 'gollum')!
  .examples[0]!;

/** GitHub's own gollum example, for one page of a repository on the stand-in. */
function gollumPayload(gh: { url: string }, repo: { private: boolean }, page: { sha: string; title?: string; summary?: string | null }) {
  return {
    ...gollumExample,
    pages: [
      {
        ...gollumExample.pages[0],
        page_name: 'Home',
        title: page.title ?? 'Home',
        summary: page.summary ?? null,
        sha: page.sha,
        html_url: 'https://github.com/octo-org/app/wiki/Home',
      },
    ],
    repository: {
      ...gollumExample.repository,
      name: 'app',
      full_name: 'octo-org/app',
      owner: { ...gollumExample.repository.owner, login: 'octo-org' },
      private: repo.private,
      clone_url: `${gh.url}/octo-org/app.git`,
      html_url: 'https://github.com/octo-org/app',
    },
    installation: { id: INSTALLATION, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=' },
  };
}

async function keyStatus(url: string, id: string): Promise<string> {
  return (await callApi(url, 'GET', `/api/v1/keys/${id}`)).body.status;
}

describe('wiki pages (gollum), from signed webhook to revoked key and alert', () => {
  it('revokes a key a wiki edit added, and only what the edit added', async () => {
    const { gh, prefix, redis, serve, owner } = await setup();
    const before = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Old' } })).body;
    const added = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Docs' } })).body;
    const repo = TestRepo.init(join(tempDir(), 'app'));
    repo.commit('initial', { 'README.md': '# app\n' });
    const wiki = TestRepo.init(join(tempDir(), 'app.wiki'));
    wiki.commit('Created Home', { 'Home.md': `# Home\n\nOld setup used ${before.key}\n` });
    const edit = wiki.commit('Updated Home', {
      'Home.md': `# Home\n\nOld setup used ${before.key}\n\n## Quick start\n\nexport NEEV_API_KEY=${added.key}\n`,
    });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION, wikiPath: wiki.path });

    const res = await deliver(serve.url, 'gollum', gollumPayload(gh, { private: false }, { sha: edit }), 'gollum-a');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'queued', pages: 1, exposures: 0 });

    await until(
      async () => ((await keyStatus(serve.url, added.id)) === 'revoked' ? true : undefined),
      'the key the edit added to be revoked',
    );
    const alert = await until(async () => (await new AlertStore(redis, prefix).getByKeyId(added.id)) ?? undefined, 'the alert');
    expect(alert.locations).toEqual([
      expect.objectContaining({
        source: 'wiki',
        repo: 'octo-org/app',
        path: 'Home.md',
        line: 7,
        commit: edit,
        url: 'https://github.com/octo-org/app/wiki/Home',
      }),
    ]);
    // The key the edit did not add is not this edit's leak.
    expect(await keyStatus(serve.url, before.id)).toBe('active');
    // The wiki was read with git, as the installation (its token in an Authorization header, never in the URL).
    const gitRequests = gh.requests.filter((r) => r.path.startsWith('/octo-org/app.wiki.git/'));
    expect(gitRequests.length).toBeGreaterThan(0);
    expect(gitRequests.every((r) => r.status === 200)).toBe(true);
    expect(gitRequests.some((r) => /^Basic /.test(String(r.headers.authorization)))).toBe(true);
    const dump = await dumpPrefix(redis, prefix);
    expect(dump).not.toContain(added.key);
  });

  it('a key a wiki edit added behind `neevscan:allow` is revoked all the same, and its alert records the marker', async () => {
    const { gh, prefix, redis, serve, owner } = await setup();
    const key = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Docs' } })).body;
    const repo = TestRepo.init(join(tempDir(), 'app'));
    repo.commit('initial', { 'README.md': '# app\n' });
    const wiki = TestRepo.init(join(tempDir(), 'app.wiki'));
    wiki.commit('Created Home', { 'Home.md': '# Home\n' });
    const edit = wiki.commit('Updated Home', { 'Home.md': `# Home\n\nexport NEEV_API_KEY=${key.key} <!-- neevscan:allow -->\n` });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: false, installationId: INSTALLATION, wikiPath: wiki.path });
    expect((await deliver(serve.url, 'gollum', gollumPayload(gh, { private: false }, { sha: edit }), 'gollum-allow')).status).toBe(202);

    await until(async () => ((await keyStatus(serve.url, key.id)) === 'revoked' ? true : undefined), 'the marked key to be revoked');
    const alert = await until(async () => (await new AlertStore(redis, prefix).getByKeyId(key.id)) ?? undefined, 'the alert');
    expect(alert.locations).toEqual([expect.objectContaining({ source: 'wiki', path: 'Home.md', line: 3, allowMarker: true })]);
  });

  it('a private wiki is read with the installation token and alerted on, not revoked, under REVOKE_POLICY=public; a key in the title is found in the receiver', async () => {
    const { gh, prefix, redis, serve, owner } = await setup('public');
    const inPage = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Internal' } })).body;
    const inTitle = (await callApi(serve.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: 'Titled' } })).body;
    const repo = TestRepo.init(join(tempDir(), 'app'));
    repo.commit('initial', { 'README.md': '# app\n' });
    const wiki = TestRepo.init(join(tempDir(), 'app.wiki'));
    const first = wiki.commit('Created Home', { 'Home.md': `token: ${inPage.key}\n` });
    gh.addRepo({ owner: 'octo-org', name: 'app', path: repo.path, private: true, installationId: INSTALLATION, wikiPath: wiki.path });

    const payload = gollumPayload(gh, { private: true }, { sha: first, summary: `rotated ${inTitle.key}` });
    const res = await deliver(serve.url, 'gollum', payload, 'gollum-b');
    expect(await res.json()).toEqual({ status: 'queued', pages: 1, exposures: 1 });

    const alerts = new AlertStore(redis, prefix);
    const pageAlert = await until(async () => (await alerts.getByKeyId(inPage.id)) ?? undefined, 'the page alert');
    expect(pageAlert).toMatchObject({
      keyStatus: 'active',
      locations: [expect.objectContaining({ source: 'wiki', path: 'Home.md', line: 1, commit: first })],
    });
    const titleAlert = await until(async () => (await alerts.getByKeyId(inTitle.id)) ?? undefined, 'the summary alert');
    expect(titleAlert.locations[0]).toMatchObject({ source: 'wiki', path: null, url: 'https://github.com/octo-org/app/wiki/Home' });
    expect(await keyStatus(serve.url, inPage.id)).toBe('active');
    // Job data holds the commit and the link, never the summary.
    expect(await dumpPrefix(redis, prefix)).not.toContain(inTitle.key);
  });

  it('sends an installation token only to the GitHub it is configured for', () => {
    expect(wikiGitUrl('https://github.com/octo-org/app.git', 'https://api.github.com')).toBe('https://github.com/octo-org/app.wiki.git');
    expect(wikiGitUrl('https://ghes.example.com/octo-org/app.git', 'https://ghes.example.com/api/v3')).toBe(
      'https://ghes.example.com/octo-org/app.wiki.git',
    );
    expect(wikiGitUrl('https://evil.example/octo-org/app.git', 'https://api.github.com')).toBeNull();
    expect(wikiGitUrl('http://github.com/octo-org/app.git', 'https://api.github.com')).toBeNull();
    expect(wikiGitUrl('https://user:pw@github.com/octo-org/app.git', 'https://api.github.com')).toBeNull();
    expect(wikiGitUrl('not a url', 'https://api.github.com')).toBeNull();
  });
});
