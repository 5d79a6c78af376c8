import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config.js';

describe('notification settings', () => {
  it('defaults: mail off, a 2 s burst window, hourly follow-ups, 16 tries from 1 s', () => {
    expect(readConfig({}).notify).toEqual({
      smtpUrl: undefined,
      mailFrom: 'neevscan <neevscan@localhost>',
      securityTeamEmail: undefined,
      securityTeamSlackWebhook: undefined,
      keysUrl: undefined,
      delayMs: 2000,
      followUpMs: 3_600_000,
      attempts: 16,
      backoffMs: 1000,
    });
  });

  it('reads every variable, SLACK_WEBHOOK_URL as a fallback name', () => {
    const notify = readConfig({
      SMTP_URL: 'smtps://u:p@mail.example:465',
      MAIL_FROM: 'Sec <sec@neev.example>',
      SECURITY_TEAM_EMAIL: 'team@neev.example',
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x',
      NEEVSCAN_KEYS_URL: 'https://console.neev.example/keys',
      NEEVSCAN_NOTIFY_DELAY_MS: '0',
      NEEVSCAN_NOTIFY_FOLLOW_UP_SECONDS: '60',
      NEEVSCAN_NOTIFY_ATTEMPTS: '3',
      NEEVSCAN_NOTIFY_BACKOFF_MS: '50',
    }).notify;
    expect(notify).toMatchObject({
      smtpUrl: 'smtps://u:p@mail.example:465',
      mailFrom: 'Sec <sec@neev.example>',
      securityTeamEmail: 'team@neev.example',
      securityTeamSlackWebhook: 'https://hooks.slack.com/services/T/B/x',
      delayMs: 0,
      followUpMs: 60_000,
      attempts: 3,
      backoffMs: 50,
    });
    expect(
      readConfig({ SECURITY_TEAM_SLACK_WEBHOOK: 'https://a.example/1', SLACK_WEBHOOK_URL: 'https://b.example/2' }).notify
        .securityTeamSlackWebhook,
    ).toBe('https://a.example/1');
  });

  it('refuses what cannot work, naming the variable', () => {
    expect(() => readConfig({ SMTP_URL: 'mail.example:25' })).toThrow('SMTP_URL must be an smtp:// or smtps:// URL');
    expect(() => readConfig({ SECURITY_TEAM_SLACK_WEBHOOK: 'javascript:alert(1)' })).toThrow('SECURITY_TEAM_SLACK_WEBHOOK');
    expect(() => readConfig({ NEEVSCAN_NOTIFY_DELAY_MS: '2s' })).toThrow('NEEVSCAN_NOTIFY_DELAY_MS must be a whole number');
  });
});
