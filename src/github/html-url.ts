/**
 * The web origin for links to a repository's files, from GITHUB_API_URL:
 * GitHub Enterprise Server serves its API under `https://HOST/api/v3` and its
 * pages at `https://HOST`; anything else (api.github.com, a test stand-in)
 * links to github.com. Used where no answer carried an `html_url` (the
 * public feed names repositories only).
 */
export function htmlOrigin(apiUrl: string): string {
  try {
    const url = new URL(apiUrl);
    if (url.pathname.replace(/\/+$/, '').endsWith('/api/v3')) return url.origin;
  } catch {
    /* not a URL: the default below */
  }
  return 'https://github.com';
}
