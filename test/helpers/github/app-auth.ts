/** Who a request is: app (JWT), installation (issued token), plain token, anonymous, or bad credentials. */
import { randomBytes, createPublicKey, type KeyObject } from 'node:crypto';
import type { Ctx } from './context.js';
import { HttpError, isoSeconds, notFound, type Reply } from './http.js';
import { JWT_MESSAGES, looksLikeJwt, verifyAppJwt } from './jwt.js';
import type { RepoRegistry } from './repos.js';

export type Credential =
  | { kind: 'anonymous' }
  | { kind: 'app'; appId: string }
  | { kind: 'installation'; token: string; installationId: number; appId: string }
  | { kind: 'token'; token: string }
  | { kind: 'invalid'; message: string };

export interface IssuedToken {
  token: string;
  installationId: number;
  expiresAt: number;
  permissions: Record<string, string>;
}

export interface AuthOptions {
  appId?: number | string;
  /** The App's public key (PEM); with appId, turns authentication on. */
  publicKeyPem?: string;
  /** Tokens accepted as they are (a personal access token for the events poller, say). */
  tokens?: string[];
}

/** Installation tokens last one hour (docs: authenticating-as-a-github-app-installation). */
const TOKEN_LIFETIME_MS = 60 * 60 * 1000;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export class AppAuth {
  readonly issued: IssuedToken[] = [];
  private readonly key: KeyObject | undefined;

  constructor(
    private readonly options: AuthOptions,
    private readonly repos: RepoRegistry,
  ) {
    this.key = options.publicKeyPem ? createPublicKey(options.publicKeyPem) : undefined;
  }

  /** Whether JWTs can be checked: the App's ID and public key were given. */
  get appConfigured(): boolean {
    return this.key !== undefined && this.options.appId !== undefined;
  }

  /** With neither an App nor `tokens`, auth is off: any token, or none, is let in. */
  get enabled(): boolean {
    return this.appConfigured || (this.options.tokens?.length ?? 0) > 0;
  }

  identify(authorization: string | undefined): Credential {
    if (!authorization) return { kind: 'anonymous' };
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization.trim());
    if (!match) return { kind: 'invalid', message: 'Bad credentials' };
    const token = match[1]!;
    if (looksLikeJwt(token)) {
      if (!this.appConfigured) return { kind: 'invalid', message: JWT_MESSAGES.undecodable };
      const result = verifyAppJwt(token, this.key!, this.options.appId!, Math.floor(Date.now() / 1000));
      return result.ok ? { kind: 'app', appId: result.appId } : { kind: 'invalid', message: result.message };
    }
    const issued = this.issued.find((t) => t.token === token && t.expiresAt > Date.now());
    if (issued) return { kind: 'installation', token, installationId: issued.installationId, appId: String(this.options.appId) };
    if (!this.enabled || this.options.tokens?.includes(token)) return { kind: 'token', token };
    return { kind: 'invalid', message: 'Bad credentials' };
  }

  /** POST /app/installations/{installation_id}/access_tokens, for a request authenticated as the App. */
  createAccessToken(ctx: Ctx): Reply {
    if (ctx.credential.kind !== 'app') throw new HttpError(401, JWT_MESSAGES.undecodable);
    const installationId = Number(ctx.params.installationId);
    if (!this.repos.installationIds().has(installationId)) throw notFound();
    const body = (ctx.body ?? {}) as { permissions?: Record<string, string> };
    const permissions = body.permissions ?? { checks: 'write', contents: 'read', metadata: 'read' };
    const bytes = randomBytes(36);
    const token: IssuedToken = {
      token: 'ghs_' + Array.from(bytes, (b) => BASE62[b % 62]).join(''),
      installationId,
      expiresAt: Date.now() + TOKEN_LIFETIME_MS,
      permissions,
    };
    this.issued.push(token);
    return {
      status: 201,
      body: { token: token.token, expires_at: isoSeconds(token.expiresAt), permissions, repository_selection: 'all' },
    };
  }
}
