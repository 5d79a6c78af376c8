import { esc, page } from './html.js';

/**
 * The sign-in form: an API token with the `security` (or `admin`) scope.
 * The token is sent once, in the POST body, and never kept: the browser gets
 * a session cookie instead.
 */
export function loginPage(options: { next?: string; error?: string } = {}): string {
  const error = options.error ? `<p role="alert" class="error">${esc(options.error)}</p>` : '';
  return page({
    title: 'Sign in',
    session: null,
    body: `<h1>Sign in</h1>
${error}
<form method="post" action="/login" class="login">
  <input type="hidden" name="next" value="${esc(options.next ?? '/')}">
  <label for="token">API token <span class="muted">(scope <code>security</code> or <code>admin</code>)</span></label>
  <input id="token" name="token" type="password" required autocomplete="off" spellcheck="false" autofocus>
  <button type="submit">Sign in</button>
</form>
<p class="muted">An admin makes a token for each member of the team: <code>POST /api/v1/tokens {"name": "alice@example.com", "scope": "security"}</code>. The token's name is who the audit trail says acted.</p>`,
  });
}
