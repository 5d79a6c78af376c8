/** Which repositories a credential may read or write, as GitHub decides it. */
import type { AppAuth } from './app-auth.js';
import type { Ctx } from './context.js';
import { HttpError, notFound } from './http.js';
import type { Repo, RepoRegistry } from './repos.js';

/**
 * Unknown and hidden repositories are 404 alike (GitHub never confirms a private repository exists).
 * Anonymous requests may read public repositories only; an installation token sees its own
 * installation's repositories and reads public ones; an App JWT is for /app endpoints only.
 */
export function repoFor(ctx: Ctx, repos: RepoRegistry, auth: AppAuth): Repo {
  const repo = repos.get(ctx.params.owner!, ctx.params.repo!);
  if (!repo) throw notFound();
  if (!auth.enabled) return repo;
  const reading = ctx.method === 'GET' || ctx.method === 'HEAD';
  const c = ctx.credential;
  if (c.kind === 'token') return repo;
  if (c.kind === 'installation' && repo.installationId === c.installationId) return repo;
  if (repo.private) throw notFound();
  if (reading && c.kind !== 'app') return repo;
  if (c.kind === 'anonymous') throw new HttpError(401, 'Requires authentication');
  throw new HttpError(403, 'Resource not accessible by integration');
}
