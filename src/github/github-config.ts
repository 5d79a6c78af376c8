import type { EnvSection } from '../core/env-section.js';

/** The variables the GitHub section reads (docs/configuration.md). */
export const GITHUB_ENV = [
  'GITHUB_API_URL',
  'GITHUB_APP_ID',
  'GITHUB_APP_PRIVATE_KEY',
  'GITHUB_WEBHOOK_SECRET',
  'GITHUB_TOKEN',
  'GITHUB_TOKENS',
] as const;

export interface GitHubConfig {
  apiUrl: string;
  appId: string | undefined;
  /** PEM text, or a path to a PEM file. */
  privateKey: string | undefined;
  /** Webhook secrets: the first signs nothing, all verify (rotation: add the new one, then drop the old). */
  webhookSecrets: string[];
  /** GITHUB_TOKEN: a token for calls made without the App (the events poller; the partner endpoint's key fetch, for GitHub's higher rate limit). */
  token: string | undefined;
  /** GITHUB_TOKEN and GITHUB_TOKENS (comma-separated) merged, duplicates dropped: the public-events poller's and its workers' shared rate-limit budget. */
  tokens: string[];
}

export function readGitHubConfig(env: EnvSection<typeof GITHUB_ENV>): GitHubConfig {
  return {
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    appId: env.GITHUB_APP_ID || undefined,
    privateKey: env.GITHUB_APP_PRIVATE_KEY || undefined,
    webhookSecrets: (env.GITHUB_WEBHOOK_SECRET ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    token: env.GITHUB_TOKEN || undefined,
    tokens: [...new Set([env.GITHUB_TOKEN ?? '', ...(env.GITHUB_TOKENS ?? '').split(',')].map((t) => t.trim()).filter(Boolean))],
  };
}
