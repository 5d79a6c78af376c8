import type { EnvSection } from './core/env-section.js';
import { GITHUB_ENV, readGitHubConfig, type GitHubConfig } from './github/github-config.js';
import { NOTIFY_ENV, readNotifyConfig, type NotifyConfig } from './notify/notify-config.js';
import { PIPELINE_ENV, readPipelineConfig, type PipelineConfig } from './pipeline/pipeline-config.js';
import { DASHBOARD_ENV, readDashboardConfig, type DashboardConfig } from './server/dashboard/dashboard-config.js';
import { SERVER_ENV, readServerConfig, type ServerConfig } from './server/server-config.js';
import { STORE_ENV, readStoreConfig, type StoreConfig } from './stores/store-config.js';

/**
 * The service's configuration (docs/configuration.md). Each part declares the variables of its section and parses
 * them (defaults, validation, error messages) in its own leaf module; this file only reads them from the environment.
 */
export type Config = StoreConfig &
  ServerConfig &
  PipelineConfig & {
    github: GitHubConfig;
    /** Owner and security-team notifications: mail, timing, retries (src/notify/notify-config.ts). */
    notify: NotifyConfig;
    /** The alert review dashboard: its public origin, session cookie and lifetime, sign-in rate limit (src/server/dashboard/dashboard-config.ts). */
    dashboard: DashboardConfig;
  };

/** The environment's values of one section's variables, and no other. */
function section<const Names extends readonly string[]>(env: NodeJS.ProcessEnv, names: Names): EnvSection<Names> {
  return Object.fromEntries(names.map((name) => [name, env[name]])) as EnvSection<Names>;
}

/** Read once at start. Injectable: tests pass their own `env`. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    ...readStoreConfig(section(env, STORE_ENV)),
    ...readServerConfig(section(env, SERVER_ENV)),
    github: readGitHubConfig(section(env, GITHUB_ENV)),
    ...readPipelineConfig(section(env, PIPELINE_ENV)),
    notify: readNotifyConfig(section(env, NOTIFY_ENV)),
    dashboard: readDashboardConfig(section(env, DASHBOARD_ENV)),
  };
}
