/**
 * Fuzzing POST /github/secret-scanning with bodies GitHub's key signed:
 * random bytes, random JSON, and arrays of matches with odd fields. The
 * endpoint answers 200 or 400 (never 5xx), and what it answers is GitHub's
 * feedback format for exactly the tokens it was sent, never a token itself.
 */
import { sign } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/key-format/key.js';
import { makeSecretScanningKey, startGitHubStandIn, type GitHubStandIn } from '../helpers/github/standin.js';
import type { SecretScanningKey } from '../helpers/github/keys.js';
import { startServer, type TestServer } from '../helpers/server.js';

const RUNS = 150;
let gh: GitHubStandIn;
let t: TestServer;
let signer: SecretScanningKey;

beforeAll(async () => {
  signer = makeSecretScanningKey();
  gh = await startGitHubStandIn({ secretScanningKeys: [signer.publicKey] });
  t = await startServer({ GITHUB_API_URL: gh.url }, { notify: async () => {} });
});
afterAll(async () => {
  await t.close();
  await gh.close();
});

async function report(body: Buffer): Promise<{ status: number; text: string }> {
  const res = await fetch(`${t.url}/github/secret-scanning`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'Github-Public-Key-Identifier': signer.publicKey.key_identifier,
      'Github-Public-Key-Signature': sign('sha256', body, signer.privateKey).toString('base64'),
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}

const match = fc.record(
  {
    token: fc.oneof(fc.string({ maxLength: 60 }), fc.stringMatching(/^neev_[0-9A-Za-z]{38}$/), fc.jsonValue({ maxDepth: 1 })),
    type: fc.oneof(fc.constant('neevcloud_api_key'), fc.string({ maxLength: 10 })),
    url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 20 }), fc.constant(null)),
    source: fc.oneof(fc.constantFrom('content', 'commit', 'npm'), fc.string({ maxLength: 10 })),
  },
  { requiredKeys: [] },
);

describe('property: POST /github/secret-scanning with a valid signature', () => {
  it('random bytes and random JSON: 200 or 400, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 1000 }).map((b) => Buffer.from(b)),
          fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j)),
        ),
        async (body) => {
          const { status } = await report(body);
          expect([200, 400]).toContain(status);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('arrays of matches with odd fields: 400 unless every token is a string, else one feedback entry per distinct token, no token echoed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(match, { maxLength: 6 }), async (matches) => {
        const { status, text } = await report(Buffer.from(JSON.stringify(matches)));
        const valid = matches.every((m) => typeof m.token === 'string' && m.token.length > 0);
        expect(status).toBe(valid ? 200 : 400);
        if (!valid) return;
        const tokens = [...new Set(matches.map((m) => m.token as string))];
        const feedback = JSON.parse(text) as Array<{ token_hash: string; label: string }>;
        expect(feedback.map((f) => f.token_hash).sort()).toEqual(tokens.map(sha256Hex).sort());
        // None of these is a key of this store: every one is a false positive.
        expect(feedback.every((f) => f.label === 'false_positive')).toBe(true);
        for (const token of tokens) if (token.length >= 16) expect(text).not.toContain(token);
      }),
      { numRuns: RUNS },
    );
  });
});
