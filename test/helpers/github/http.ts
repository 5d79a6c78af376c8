/** Replies as the stand-in's handlers build them, GitHub's error bodies, and page/per_page handling. */

export interface Reply {
  status: number;
  /** A JSON value, raw bytes, or nothing (304, 204). */
  body?: unknown;
  headers?: Record<string, string>;
}

export const DOCS = 'https://docs.github.com/rest';

/** An error answered as GitHub answers errors: `{ message, documentation_url, status }` (status as a string, as GitHub now sends it). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  reply(): Reply {
    return {
      status: this.status,
      body: { message: this.message, documentation_url: DOCS, ...this.extra, status: String(this.status) },
      headers: this.headers,
    };
  }
}

export const notFound = () => new HttpError(404, 'Not Found');

/** GitHub's 422 for a body that fails validation (docs: "Client errors" in getting-started-with-the-rest-api). */
export function validationFailed(resource: string, field: string, code: string, message?: string): HttpError {
  return new HttpError(422, 'Validation Failed', {
    errors: [{ resource, field, code, ...(message ? { message } : {}) }],
  });
}

export interface Page {
  page: number;
  perPage: number;
  /** Whether the client sent page or per_page at all (compare answers differently then). */
  explicit: boolean;
}

/** page and per_page as GitHub reads them: bad values fall back to the defaults, per_page is clamped to `max`. */
export function readPage(query: URLSearchParams, defaultPerPage: number, maxPerPage: number): Page {
  const page = Number.parseInt(query.get('page') ?? '', 10);
  const perPage = Number.parseInt(query.get('per_page') ?? '', 10);
  return {
    page: page >= 1 ? page : 1,
    perPage: perPage >= 1 ? Math.min(perPage, maxPerPage) : defaultPerPage,
    explicit: query.has('page') || query.has('per_page'),
  };
}

/** A `Link` header (RFC 8288) with first/prev/next/last as GitHub sends them, or undefined for a single page. */
export function linkHeader(requestUrl: URL, page: number, lastPage: number): string | undefined {
  if (lastPage <= 1) return undefined;
  const at = (n: number) => {
    const url = new URL(requestUrl);
    url.searchParams.set('page', String(n));
    return `<${url.href}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${at(page - 1)}; rel="prev"`);
  if (page < lastPage) links.push(`${at(page + 1)}; rel="next"`, `${at(lastPage)}; rel="last"`);
  if (page > 1) links.push(`${at(1)}; rel="first"`);
  return links.join(', ');
}

/** ISO 8601 in UTC without milliseconds, as GitHub writes timestamps. */
export function isoSeconds(date: Date | number | string): string {
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Percent-encodes each segment of a repository path for a URL. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
