/** Matches a method and a raw path against patterns like `/repos/:owner/:repo/commits/:ref*`. */
import type { Handler } from './context.js';

export interface Route {
  method: string;
  pattern: string;
  handle: Handler;
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

/**
 * `:name` takes one segment, `:name*` (last only) the rest of the path, so a branch
 * with a slash matches whether the client encoded it (`%2F`, as octokit does) or not.
 */
export function matchRoute(routes: Route[], method: string, pathname: string): Match | null {
  const segments = pathname.split('/').slice(1);
  for (const route of routes) {
    if (route.method !== method) continue;
    const params = matchPattern(route.pattern.split('/').slice(1), segments);
    if (params) return { route, params };
  }
  return null;
}

function matchPattern(pattern: string[], segments: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    if (part.startsWith(':') && part.endsWith('*')) {
      const rest = segments.slice(i);
      if (rest.length === 0 || rest.some((s) => s === '')) return null;
      params[part.slice(1, -1)] = rest.map(decode).join('/');
      return params;
    }
    const segment = segments[i];
    if (segment === undefined || segment === '') return null;
    if (part.startsWith(':')) params[part.slice(1)] = decode(segment);
    else if (part !== segment) return null;
  }
  return segments.length === pattern.length ? params : null;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
