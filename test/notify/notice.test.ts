import { describe, expect, it } from 'vitest';
// The receiver's sample from docs/notifications.md, run as documented.
import { verifyNeevscanSignature } from '../../docs/examples/verify-neevscan-webhook.mjs';
import { generateKey, keyHint, sha256Hex } from '../../src/key-format/key.js';
import { buildNotice, MAX_LISTED_PLACES, type NoticeInput } from '../../src/notify/notice.js';
import { renderOwnerEmail } from '../../src/notify/render-email.js';
import { renderSecurityEmail, renderSlackMessage } from '../../src/notify/render-security.js';
import { signWebhook, webhookHeaders } from '../../src/notify/signature.js';
import { webhookPayload } from '../../src/notify/webhook-payload.js';
import type { Location } from '../../src/core/exposure.js';
import type { Alert } from '../../src/stores/alert-store.js';
import { asLocation } from '../helpers/location.js';

const KEY = generateKey();
const COMMIT = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';

function push(path: string, line: number, repo = 'octo-org/app'): Location {
  return {
    source: 'push',
    repo,
    path,
    line,
    commit: COMMIT,
    url: `https://github.com/${repo}/blob/${COMMIT}/${path}#L${line}`,
    seenAt: '2026-11-26T13:00:01.000Z',
  };
}

function alertWith(overrides: Partial<Alert> = {}): Alert {
  const locations = overrides.locations ?? [push('config/app.env', 3)];
  return {
    id: 'alt_0123456789abcdef',
    state: 'open',
    resolution: null,
    keyId: 'key_0123456789abcdef',
    ownerId: 'own_0123456789abcdef',
    keyHint: keyHint(KEY),
    keyName: null,
    secretSha256: sha256Hex(KEY),
    keyStatus: 'revoked',
    revokedAt: '2026-11-26T13:00:01.840Z',
    firstSeenAt: '2026-11-26T13:00:01.000Z',
    pushedAt: '2026-11-26T13:00:00.000Z',
    receivedAt: '2026-11-26T13:00:00.500Z',
    revokeLatencyMs: 1840,
    locations,
    locationCount: locations.length,
    // The rest as the alert store returns them for an alert with none of these.
    verifiedRevokedAt: null,
    revocationVerification: null,
    assignee: null,
    resolvedAt: null,
    resolvedBy: null,
    resolutionComment: null,
    committedAt: null,
    canary: false,
    canaryLabel: null,
    replacedBy: null,
    notifications: [],
    timeline: [],
    ...overrides,
  };
}

function input(overrides: Partial<NoticeInput> = {}): NoticeInput {
  const alert = overrides.alert ?? alertWith();
  return {
    alert,
    key: {
      id: alert.keyId,
      name: 'Production Web App',
      hint: alert.keyHint,
      status: alert.keyStatus,
      revokedAt: alert.revokedAt,
      revokedBy: alert.keyStatus === 'revoked' ? 'leak-detector' : null,
    },
    owner: { id: alert.ownerId, name: 'Acme Inc' },
    notice: { number: 1, from: 0, to: alert.locationCount },
    usage: [
      { hour: '2026-11-26T13:00:00.000Z', requests: 12, tokens: 3456 },
      { hour: '2026-11-26T14:00:00.000Z', requests: 1000, tokens: 250_000 },
    ],
    policy: 'public',
    ...overrides,
  };
}

describe('what an owner is told', () => {
  it('says which key, where, when, what was done and what to do next, in text and HTML, and never the key', () => {
    const notice = buildNotice(input());
    const mail = renderOwnerEmail(notice);
    expect(mail.subject).toBe(`NeevCloud API key "Production Web App" (${keyHint(KEY)}) was exposed and revoked`);
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('Production Web App');
      expect(body).toContain(keyHint(KEY));
      expect(body).toContain('octo-org/app: config/app.env, line 3');
      expect(body).toContain(`https://github.com/octo-org/app/commit/${COMMIT}`);
      expect(body).toContain(`https://github.com/octo-org/app/blob/${COMMIT}/config/app.env#L3`);
      expect(body).toContain('2026-11-26 13:00:00 UTC'); // pushed
      expect(body).toContain('2026-11-26 13:00:01 UTC'); // found
      expect(body).toContain('We revoked the key automatically at 2026-11-26 13:00:01 UTC (1.8 s after the push)');
      expect(body).toContain('1,012');
      expect(body).toContain('253,456');
      expect(body).toContain('Create a new key');
      expect(body).toContain('Update the applications that used it');
      expect(body).toContain('Review the key’s recent usage');
      for (const never of ['repositories', 'public documentation', 'client-side JavaScript', 'shared documents'])
        expect(body).toContain(never);
      expect(body).not.toContain(KEY);
      expect(body).not.toContain(sha256Hex(KEY));
    }
    const payload = webhookPayload(notice);
    expect(payload).not.toContain(KEY);
    const json = JSON.parse(payload);
    expect(json).toMatchObject({
      version: 1,
      event: 'key.exposed',
      deliveryId: 'alt_0123456789abcdef.webhook.1',
      alert: {
        id: 'alt_0123456789abcdef',
        notice: 1,
        followUp: false,
        pushedAt: '2026-11-26T13:00:00.000Z',
        foundAt: '2026-11-26T13:00:01.000Z',
      },
      key: { id: 'key_0123456789abcdef', name: 'Production Web App', hint: keyHint(KEY), status: 'revoked' },
      action: {
        kind: 'revoked',
        revokedAt: '2026-11-26T13:00:01.840Z',
        revokedBy: 'leak-detector',
        revokeLatencyMs: 1840,
        notRevokedReason: null,
      },
      locations: [
        {
          source: 'push',
          repo: 'octo-org/app',
          path: 'config/app.env',
          line: 3,
          commit: COMMIT,
          commitUrl: `https://github.com/octo-org/app/commit/${COMMIT}`,
        },
      ],
      locationsInNotice: 1,
      locationsTotal: 1,
      usage: { since: '2026-11-26T13:00:00.000Z', requests: 1012, tokens: 253_456 },
    });
    expect(json.nextSteps.map((s: { id: string }) => s.id)).toEqual([
      'create_key',
      'update_applications',
      'review_usage',
      'remove_copies',
      'store_keys_safely',
    ]);
  });

  it('a key left active says so in the subject, says why, and puts "revoke it" first', () => {
    const alert = alertWith({ keyStatus: 'active', revokedAt: null, revokeLatencyMs: null });
    const mail = renderOwnerEmail(buildNotice(input({ alert })));
    expect(mail.subject).toMatch(/^Action needed: .* is still active$/);
    expect(mail.text).toContain('NOT revoked: it was found only in private places');
    expect(mail.text).toMatch(/WHAT TO DO NOW\n {2}1\. Revoke the key/);
    const off = JSON.parse(webhookPayload(buildNotice(input({ alert, policy: 'off' }))));
    expect(off.action).toMatchObject({ kind: 'not_revoked', notRevokedReason: 'policy_off' });
    expect(off.action.summary).toContain('automatic revocation is turned off');
  });

  it('a key its owner had revoked already is reported as such, not as ours', () => {
    const alert = alertWith({ revokeLatencyMs: null, revokedAt: '2026-11-20T09:00:00.000Z' });
    const notice = buildNotice(
      input({
        alert,
        key: {
          id: alert.keyId,
          name: 'Old',
          hint: alert.keyHint,
          status: 'revoked',
          revokedAt: '2026-11-20T09:00:00.000Z',
          revokedBy: 'owner',
        },
      }),
    );
    expect(notice.action).toMatchObject({ kind: 'already_revoked', by: 'owner' });
    expect(renderOwnerEmail(notice).subject).toContain('(it was already revoked)');
  });

  it('a partner report names GitHub secret scanning, its source and its url', () => {
    const partner: Location = {
      source: 'partner',
      repo: null,
      path: null,
      line: null,
      commit: null,
      url: 'https://gist.github.com/octocat/abc123',
      seenAt: '2026-11-26T13:00:01.000Z',
      partnerSource: 'gist_content',
    };
    const mail = renderOwnerEmail(buildNotice(input({ alert: alertWith({ locations: [partner] }) })));
    expect(mail.text).toContain('Reported by GitHub secret scanning (gist_content)');
    expect(mail.text).toContain('https://gist.github.com/octocat/abc123');
  });

  it('a commit message, a release and a review are named as such, with their links; the commit time is shown apart from the push', () => {
    const places: Location[] = [
      {
        source: 'commit',
        repo: 'octo-org/app',
        path: null,
        line: 3,
        commit: COMMIT,
        url: `https://github.com/octo-org/app/commit/${COMMIT}`,
        seenAt: '2026-11-26T13:00:01.000Z',
      },
      {
        source: 'release',
        repo: 'octo-org/app',
        path: null,
        line: 2,
        commit: null,
        url: 'https://github.com/octo-org/app/releases/tag/v1',
        seenAt: '2026-11-26T13:00:01.000Z',
      },
      {
        source: 'pull_request_review',
        repo: 'octo-org/app',
        path: null,
        line: 1,
        commit: null,
        url: 'https://github.com/octo-org/app/pull/2#pullrequestreview-5',
        seenAt: '2026-11-26T13:00:01.000Z',
      },
    ];
    const notice = buildNotice(input({ alert: alertWith({ locations: places, committedAt: '2026-11-19T09:00:00.000Z' }) }));
    expect(notice.places.map((p) => [p.title, p.sourceLabel, p.commitUrl])).toEqual([
      ['octo-org/app: the message of commit 1a2b3c4d5e6f, line 3', 'a commit message', `https://github.com/octo-org/app/commit/${COMMIT}`],
      ['octo-org/app: line 2', 'a release', null],
      ['octo-org/app: line 1', 'a pull request review', null],
    ]);
    const mail = renderOwnerEmail(notice);
    expect(mail.text).toContain('Committed: 2026-11-19 09:00:00 UTC');
    expect(mail.text).toContain('(1.8 s after the push)');
    expect(JSON.parse(webhookPayload(notice)).alert).toMatchObject({
      pushedAt: '2026-11-26T13:00:00.000Z',
      committedAt: '2026-11-19T09:00:00.000Z',
    });
    expect(renderSecurityEmail(notice).text).toContain('Committed: 2026-11-19 09:00:00 UTC');
  });

  it('usage that could not be read does not hold the notice back', () => {
    const mail = renderOwnerEmail(buildNotice(input({ usage: null })));
    expect(mail.text).toContain('Its usage could not be read just now');
  });

  it('escapes what users wrote: a key name, a path or a URL cannot inject HTML, links or mail lines', () => {
    const evil = asLocation({
      ...push('<img src=x onerror=alert(1)>.env', 1, 'octo-org/"><script>alert(1)</script>'),
      url: 'javascript:alert(document.cookie)',
      commit: null,
    });
    const alert = alertWith({ locations: [evil] });
    const notice = buildNotice(
      input({
        alert,
        key: {
          id: alert.keyId,
          name: 'Prod <b>x</b>\r\nBcc: victim@example.com',
          hint: alert.keyHint,
          status: 'revoked',
          revokedAt: alert.revokedAt,
          revokedBy: 'leak-detector',
        },
      }),
    );
    const mail = renderOwnerEmail(notice);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).not.toContain('<b>x</b>');
    expect(mail.html).not.toContain('href="javascript:');
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.text).not.toContain('\nBcc:');
    const slack = renderSlackMessage(notice).text;
    expect(slack).not.toContain('<script>');
    expect(slack).not.toContain('<javascript:');
  });

  it('a follow-up lists only the new places, and a digest of many lists them all up to the cap', () => {
    const places = Array.from({ length: 130 }, (_, i) => push('config/app.env', 3, `fork-${i}/app`));
    const alert = alertWith({ locations: places, locationCount: 130 });
    const follow = buildNotice(input({ alert, notice: { number: 2, from: 1, to: 4 } }));
    expect(follow.subject).toContain('was found in 3 more places');
    expect(follow.places.map((p) => p.repo)).toEqual(['fork-1/app', 'fork-2/app', 'fork-3/app']);
    expect(JSON.parse(webhookPayload(follow))).toMatchObject({
      event: 'key.exposed.follow_up',
      deliveryId: 'alt_0123456789abcdef.webhook.2',
      locationsInNotice: 3,
      locationsTotal: 130,
    });

    const digest = buildNotice(input({ alert }));
    expect(digest.places).toHaveLength(MAX_LISTED_PLACES);
    const mail = renderOwnerEmail(digest);
    expect(mail.text).toContain('WHERE IT WAS FOUND (130 places)');
    expect(mail.text).toContain('fork-99/app');
    expect(mail.text).toContain('… and 30 more');
  });

  it('the security team gets a short copy, by mail and Slack', () => {
    const notice = buildNotice(input());
    const mail = renderSecurityEmail(notice);
    expect(mail.subject).toBe(
      `[neevscan] New alert: Key "Production Web App" (${keyHint(KEY)}) of Acme Inc exposed in 1 place: revoked at 2026-11-26 13:00:01 UTC`,
    );
    expect(mail.text).toContain('own_0123456789abcdef');
    const slack = renderSlackMessage(notice).text;
    expect(slack).toContain(`<https://github.com/octo-org/app/blob/${COMMIT}/config/app.env#L3|octo-org/app: config/app.env, line 3>`);
    expect(slack).not.toContain(KEY);
  });
});

describe('the webhook signature', () => {
  const secret = 'whsec_test-secret';
  const body = webhookPayload(buildNotice(input()));

  it('is sha256=HMAC-SHA256(secret, "<timestamp>.<body>") in hex, as docs/notifications.md documents', async () => {
    const { createHmac } = await import('node:crypto');
    expect(signWebhook(secret, 1_790_000_000, body)).toBe(
      `sha256=${createHmac('sha256', secret).update(`1790000000.${body}`).digest('hex')}`,
    );
  });

  it('verifies with the documented sample, and fails for a changed body, another secret or an old timestamp', () => {
    const now = new Date('2026-11-26T13:00:05Z');
    const h = webhookHeaders({ secret, body, event: 'key.exposed', deliveryId: 'alt_x.webhook.1', now });
    expect(h['x-neevscan-timestamp']).toBe(String(Math.floor(now.getTime() / 1000)));
    const check = (over: Partial<Parameters<typeof verifyNeevscanSignature>[0]>) =>
      verifyNeevscanSignature({
        secret,
        rawBody: Buffer.from(body),
        timestamp: h['x-neevscan-timestamp'],
        signature: h['x-neevscan-signature'],
        now: now.getTime(),
        ...over,
      });
    expect(check({})).toBe(true);
    expect(check({ rawBody: Buffer.from(body.replace('Production', 'Producti0n')) })).toBe(false);
    expect(check({ secret: 'whsec_other' })).toBe(false);
    expect(check({ now: now.getTime() + 10 * 60_000 })).toBe(false);
    expect(check({ signature: undefined })).toBe(false);
  });
});
