/**
 * Wikis over git's smart HTTP protocol, as GitHub serves them at
 * `https://github.com/{owner}/{repo}.wiki.git` (a wiki is a git repository; the
 * REST API has no endpoint for its pages). Answered by `git http-backend` (CGI)
 * from the local repository a test registered as the wiki. Authentication is
 * GitHub's for git over HTTPS: Basic with `x-access-token` and an installation
 * token; anonymous reads of public wikis.
 */
import { spawn } from 'node:child_process';
import { basename, dirname } from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import type { AppAuth } from './app-auth.js';
import type { Repo, RepoRegistry } from './repos.js';

export const WIKI_PATH = /^\/([^/]+)\/([^/]+)\.wiki\.git(\/.*)$/;

export interface GitReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The repository behind a wiki URL, if the credential may read it; otherwise GitHub's answer (401 asks git for credentials, 404 hides the rest). */
function wikiFor(owner: string, name: string, authorization: string | undefined, repos: RepoRegistry, auth: AppAuth): Repo | GitReply {
  const repo = repos.get(owner, name);
  const refuse = (status: number): GitReply => ({
    status,
    headers:
      status === 401 ? { 'www-authenticate': 'Basic realm="GitHub"', 'content-type': 'text/plain' } : { 'content-type': 'text/plain' },
    body: Buffer.from(status === 401 ? 'Invalid username or token.\n' : 'Repository not found.\n'),
  });
  if (!repo?.wikiPath) return refuse(404);
  let credential: ReturnType<AppAuth['identify']> = { kind: 'anonymous' };
  if (authorization) {
    const basic = /^basic\s+(\S+)$/i.exec(authorization.trim());
    const password = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').slice(1).join(':') : '';
    credential = auth.identify(`token ${password}`);
    if (credential.kind === 'invalid') return refuse(401);
  }
  if (!repo.private || !auth.enabled) return repo;
  if (credential.kind === 'installation' && credential.installationId === repo.installationId) return repo;
  if (credential.kind === 'token') return repo;
  return credential.kind === 'anonymous' ? refuse(401) : refuse(404);
}

export async function serveWiki(
  method: string,
  url: URL,
  headers: IncomingHttpHeaders,
  body: Buffer,
  repos: RepoRegistry,
  auth: AppAuth,
): Promise<GitReply | null> {
  const match = WIKI_PATH.exec(url.pathname);
  if (!match) return null;
  const repo = wikiFor(decodeURIComponent(match[1]!), decodeURIComponent(match[2]!), headers.authorization, repos, auth);
  if ('status' in repo) return repo;
  const wiki = repo.wikiPath!;
  return runBackend(
    {
      GIT_PROJECT_ROOT: dirname(wiki),
      PATH_INFO: `/${basename(wiki)}${match[3]}`,
      REQUEST_METHOD: method,
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: headers['content-type'] ?? '',
      CONTENT_LENGTH: String(body.length),
      GIT_PROTOCOL: String(headers['git-protocol'] ?? ''),
      HTTP_CONTENT_ENCODING: String(headers['content-encoding'] ?? ''),
      GIT_HTTP_EXPORT_ALL: '1',
      // GitHub lets clients fetch any reachable commit by its SHA (how the worker fetches a page's commit).
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'uploadpack.allowAnySHA1InWant',
      GIT_CONFIG_VALUE_0: 'true',
      GIT_CONFIG_KEY_1: 'safe.directory',
      GIT_CONFIG_VALUE_1: '*',
    },
    body,
  );
}

/** Runs `git http-backend` as a CGI: the request body in, "Header: value" lines, a blank line and the body out. */
function runBackend(env: Record<string, string>, body: Buffer): Promise<GitReply> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['http-backend'], {
      env: { PATH: process.env.PATH ?? '', GIT_CONFIG_NOSYSTEM: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', () => {
      const all = Buffer.concat(out);
      let split = all.indexOf('\r\n\r\n');
      let gap = 4;
      if (split === -1) {
        split = all.indexOf('\n\n');
        gap = 2;
      }
      const head = split === -1 ? all.toString('latin1') : all.subarray(0, split).toString('latin1');
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'status') status = Number.parseInt(value, 10) || 500;
        else headers[name] = value;
      }
      resolve({ status, headers, body: split === -1 ? Buffer.alloc(0) : all.subarray(split + gap) });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(body);
  });
}
