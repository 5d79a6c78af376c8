/**
 * The GitHub answers the pipeline reads on every push (a compare, a commit's files, a check run), parsed with
 * `JSON.parse`.
 *
 * Octokit parses every JSON answer with json-with-bigint, which keeps integers past 2^53 exact as BigInt: on Node
 * 20 that is `JSON.parse` with a reviver called for every value, after a regex pass over the whole text, about
 * ten times `JSON.parse`'s cost (~5% of the service's CPU a push in the pipeline bench), and its scan of a very
 * long string overflows the stack (git-data.ts): Octokit then hands back the text, not the object, and a compare
 * or commit holding a patch of some MB reached the push scan as text. For these
 * routes the body is taken unparsed (`parseSuccessResponseBody: false`) and parsed here; a text with a number of 16
 * or more digits (one that could pass 2^53) still goes through json-with-bigint, so no number is read differently
 * from Octokit.
 */
import { JSONParse } from 'json-with-bigint';
import type { Octokit } from '@octokit/rest';
import { readAnswerBody } from './answer-body.js';

/** The routes (method and Octokit's URL template) whose answers are parsed here. */
const ROUTES = new Set([
  'GET /repos/{owner}/{repo}/compare/{basehead}',
  'GET /repos/{owner}/{repo}/commits/{ref}',
  'POST /repos/{owner}/{repo}/check-runs',
  'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}',
]);

/** MAX_SAFE_INTEGER has 16 digits: an integer literal of 15 or fewer is exact as a double. */
const SAFE_DIGITS = 15;

/**
 * Whether the JSON `text` holds a number with a run of more than SAFE_DIGITS digits (an integer that may be past
 * 2^53; a long fraction too, which costs only the careful path). Strings are stepped over: a SHA or a patch full of
 * digits is not a number.
 */
export function hasLongNumber(text: string): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // To the closing quote, past escapes.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34) break;
      }
      run = 0;
    } else if (c >= 48 && c <= 57) {
      if (++run > SAFE_DIGITS) return true;
    } else run = 0;
  }
  return false;
}

/**
 * A JSON text as Octokit would give it: the same values, by `JSON.parse` when no number can be past 2^53. Where one
 * can, json-with-bigint reads it as Octokit does; if that fails (its stack overflow), `JSON.parse` still gives the
 * object, such a number rounded, rather than Octokit's text, which the push scan cannot read at all.
 */
export function parseGitHubJson(text: string): unknown {
  if (!hasLongNumber(text)) return JSON.parse(text);
  try {
    return JSONParse(text);
  } catch {
    return JSON.parse(text);
  }
}

/** Octokit's test: the media type (before any parameter) is JSON. */
function isJson(contentType: unknown): boolean {
  if (typeof contentType !== 'string') return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || type === 'application/scim+json';
}

/**
 * Registers the parse on `client` as its outermost request hook (so every other hook, and auth, sees the same
 * request as before). Only a successful answer reaches it unparsed: Octokit parses an error's body itself. A body
 * that is not JSON, or JSON that does not parse, is handed back as text, as Octokit does.
 */
export function parseJsonAnswersHere(client: Octokit): void {
  client.hook.wrap('request', async (request, options) => {
    const route = `${options.method} ${options.url}`;
    if (!ROUTES.has(route) || options.request?.parseSuccessResponseBody !== undefined) return request(options);
    // On the options object itself: before-after-hook hands every inner hook the options it was called with, not what
    // an outer hook passes on. A new `request` object, since the call's may be the client's defaults, shared by all.
    options.request = { ...options.request, parseSuccessResponseBody: false };
    const response = await request(options);
    const body = response.data as unknown;
    // 204 and 205 carry no body; Octokit leaves data unset for them.
    if (body === undefined || body === null || typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== 'function')
      return response;
    const text = (await readAnswerBody(body as AsyncIterable<Uint8Array>)).toString('utf8');
    if (!isJson(response.headers['content-type'])) return { ...response, data: text };
    try {
      return { ...response, data: parseGitHubJson(text) };
    } catch {
      return { ...response, data: text };
    }
  });
}
