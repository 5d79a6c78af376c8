/**
 * The hot routes' answers (compare, check runs) parsed with JSON.parse, through a real service client against a local
 * server: the same values Octokit's own parser gives, integers past 2^53 included, and the bodies it cannot parse.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { JSONParse } from 'json-with-bigint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenClient, type GitHubClient } from '../../src/github/client.js';
import { hasLongNumber, parseGitHubJson } from '../../src/github/json-answers.js';

/** A compare answer with what the pipeline reads of one (files, patch, commits), plus `extra`. */
const comparison = (extra: Record<string, unknown> = {}) => ({
  status: 'ahead',
  ahead_by: 1,
  total_commits: 1,
  commits: [{ sha: 'a'.repeat(40), commit: { message: 'add config', author: { date: '2026-12-03T10:00:00Z' } } }],
  files: [{ sha: 'b'.repeat(40), filename: 'config/app.env', status: 'added', additions: 1, patch: '@@ -0,0 +1 @@\n+REGION=eu' }],
  ...extra,
});

let server: Server;
let client: GitHubClient;
const answers = new Map<string, (res: ServerResponse) => void>();

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = answers.get(`${req.method} ${req.url!.split('?')[0]}`);
      if (answer) return answer(res);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"message":"Not Found"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  client = createTokenClient({ apiUrl: `http://127.0.0.1:${port}`, token: 'test-token', retryAfterBaseValue: 1, log: () => {} });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const answerJson = (route: string, text: string, status = 200) =>
  answers.set(route, (res) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(text);
  });

const compare = () => client.repos.compareCommitsWithBasehead({ owner: 'o', repo: 'r', basehead: 'a...b' });

describe('GitHub answers parsed with JSON.parse', () => {
  it('finds numbers of more than 15 digits, and only numbers', () => {
    expect(hasLongNumber('{"id":123456789012345}')).toBe(false);
    expect(hasLongNumber('{"id":1234567890123456}')).toBe(true);
    expect(hasLongNumber('[-9007199254740993]')).toBe(true);
    expect(hasLongNumber('{"sha":"9007199254740993","p":"a \\"1234567890123456789\\" b"}')).toBe(false);
    expect(hasLongNumber('{"s":"\\\\","id":12345678901234567}')).toBe(true);
    expect(hasLongNumber('{"unterminated":"123456789012345678')).toBe(false);
    expect(hasLongNumber('')).toBe(false);
  });

  it('gives the values json-with-bigint gives, BigInt past 2^53 included', () => {
    for (const text of [
      JSON.stringify(comparison()),
      '{"id":9007199254740993,"small":42,"f":1.5e300,"s":"12345678901234567890"}',
      '[1,-2,3.25,true,null,"x\\u00e9\\n"]',
    ]) {
      expect(parseGitHubJson(text)).toEqual(JSONParse(text));
    }
    expect((parseGitHubJson('{"id":9007199254740993}') as { id: unknown }).id).toBe(9007199254740993n);
  });

  it('a compare arrives as the object GitHub sent, through the service client', async () => {
    answerJson('GET /repos/o/r/compare/a...b', JSON.stringify(comparison()));
    const { status, data } = await compare();
    expect(status).toBe(200);
    expect(data).toEqual(comparison());
  });

  it('a compare of 8 MB arrives as an object, where a long string once made Octokit hand back the text', async () => {
    const patch = `@@ -0,0 +1 @@\n+${'x'.repeat(8 * 1024 * 1024)}`;
    // A number past 2^53 beside it: the careful path, whose own parse of such a text fails, still ends in the object.
    answerJson(
      'GET /repos/o/r/compare/a...b',
      JSON.stringify({ ...comparison({ files: [{ ...comparison().files[0], patch }] }), id: 1 }).replace('"id":1', '"id":9007199254740993'),
    );
    const careful = await compare();
    expect(typeof careful.data).toBe('object');
    expect(careful.data.files?.[0]?.patch?.length).toBe(patch.length);
    const body = comparison({ files: [{ ...comparison().files[0], patch }] });
    answerJson('GET /repos/o/r/compare/a...b', JSON.stringify(body));
    const { data } = await compare();
    expect(typeof data).toBe('object');
    expect(data.files?.[0]?.patch?.length).toBe(patch.length);
  });

  it('an id past 2^53 in a check run arrives exact, as Octokit gives it', async () => {
    answerJson('POST /repos/o/r/check-runs', '{"id":9007199254740993,"name":"neevscan","status":"completed"}', 201);
    const { status, data } = await client.checks.create({ owner: 'o', repo: 'r', name: 'neevscan', head_sha: 'a'.repeat(40) });
    expect(status).toBe(201);
    expect((data as unknown as { id: unknown }).id).toBe(9007199254740993n);
  });

  it('an answer that is not JSON comes back as text, and an error status is still an error with its message', async () => {
    answers.set('GET /repos/o/r/compare/a...b', (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('not json');
    });
    expect((await compare()).data).toBe('not json');
    answerJson('GET /repos/o/r/compare/a...b', '{"message":"No common ancestor between a and b."}', 404);
    await expect(compare()).rejects.toMatchObject({ status: 404, message: expect.stringContaining('No common ancestor') });
  });

  it('a caller that asks for the body unparsed still gets it unparsed', async () => {
    answerJson('GET /repos/o/r/compare/a...b', JSON.stringify(comparison()));
    const { data } = await client.request('GET /repos/{owner}/{repo}/compare/{basehead}', {
      owner: 'o',
      repo: 'r',
      basehead: 'a...b',
      request: { parseSuccessResponseBody: false },
    });
    const chunks: Buffer[] = [];
    for await (const chunk of data as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
    expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual(comparison());
  });
});
