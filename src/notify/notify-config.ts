import type { EnvSection } from '../core/env-section.js';

/** The variables the notifier's section reads (docs/configuration.md). */
export const NOTIFY_ENV = [
  'SMTP_URL',
  'MAIL_FROM',
  'SECURITY_TEAM_EMAIL',
  'SECURITY_TEAM_SLACK_WEBHOOK',
  'SLACK_WEBHOOK_URL',
  'NEEVSCAN_KEYS_URL',
  'NEEVSCAN_NOTIFY_DELAY_MS',
  'NEEVSCAN_NOTIFY_FOLLOW_UP_SECONDS',
  'NEEVSCAN_NOTIFY_ATTEMPTS',
  'NEEVSCAN_NOTIFY_BACKOFF_MS',
] as const;

/**
 * The notifier's part of the configuration (docs/configuration.md, "Owner notifications"),
 * read from the environment by readConfig, parsed here. Injectable like the rest:
 * tests pass their own `env`.
 */
export interface NotifyConfig {
  /** SMTP_URL: a nodemailer connection URL (`smtp://user:pass@host:587`, `smtps://…`); unset: no mail at all. */
  smtpUrl: string | undefined;
  /** MAIL_FROM: the From of every mail. */
  mailFrom: string;
  /** SECURITY_TEAM_EMAIL: also mailed on every new alert. */
  securityTeamEmail: string | undefined;
  /** SECURITY_TEAM_SLACK_WEBHOOK (or SLACK_WEBHOOK_URL): a Slack-compatible incoming webhook, posted on every new alert. */
  securityTeamSlackWebhook: string | undefined;
  /** NEEVSCAN_KEYS_URL: where owners manage their keys (the console page), linked from notifications. */
  keysUrl: string | undefined;
  /** NEEVSCAN_NOTIFY_DELAY_MS: how long the first notification waits, so that places found in the same burst go in it. */
  delayMs: number;
  /** NEEVSCAN_NOTIFY_FOLLOW_UP_SECONDS, in ms: places found after a notification went out are sent at most this often per alert. */
  followUpMs: number;
  /** NEEVSCAN_NOTIFY_ATTEMPTS: tries per notification job before its failing channels are given up. */
  attempts: number;
  /** NEEVSCAN_NOTIFY_BACKOFF_MS: the first retry's delay; each next one doubles, with jitter. */
  backoffMs: number;
}

export const DEFAULT_MAIL_FROM = 'neevscan <neevscan@localhost>';

export function readNotifyConfig(env: EnvSection<typeof NOTIFY_ENV>): NotifyConfig {
  const smtpUrl = env.SMTP_URL || undefined;
  if (smtpUrl && !/^smtps?:\/\//i.test(smtpUrl))
    throw new Error('SMTP_URL must be an smtp:// or smtps:// URL (a nodemailer connection URL)');
  const slack = env.SECURITY_TEAM_SLACK_WEBHOOK || env.SLACK_WEBHOOK_URL || undefined;
  if (slack && !isHttpUrl(slack)) throw new Error('SECURITY_TEAM_SLACK_WEBHOOK must be an http(s) URL');
  const keysUrl = env.NEEVSCAN_KEYS_URL || undefined;
  if (keysUrl && !isHttpUrl(keysUrl)) throw new Error('NEEVSCAN_KEYS_URL must be an http(s) URL');
  return {
    smtpUrl,
    mailFrom: env.MAIL_FROM || DEFAULT_MAIL_FROM,
    securityTeamEmail: env.SECURITY_TEAM_EMAIL || undefined,
    securityTeamSlackWebhook: slack,
    keysUrl,
    delayMs: wholeNumber(env.NEEVSCAN_NOTIFY_DELAY_MS, 2000, 'NEEVSCAN_NOTIFY_DELAY_MS'),
    followUpMs: wholeNumber(env.NEEVSCAN_NOTIFY_FOLLOW_UP_SECONDS, 3600, 'NEEVSCAN_NOTIFY_FOLLOW_UP_SECONDS') * 1000,
    attempts: Math.max(1, wholeNumber(env.NEEVSCAN_NOTIFY_ATTEMPTS, 16, 'NEEVSCAN_NOTIFY_ATTEMPTS')),
    backoffMs: Math.max(1, wholeNumber(env.NEEVSCAN_NOTIFY_BACKOFF_MS, 1000, 'NEEVSCAN_NOTIFY_BACKOFF_MS')),
  };
}

function wholeNumber(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,10}$/.test(value)) throw new Error(`${name} must be a whole number, not "${value}"`);
  return Number(value);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
