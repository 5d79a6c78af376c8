import { readFileSync, readdirSync, type Dirent } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** The ignore file a folder may hold, in gitignore syntax; its patterns apply below that folder. */
export const IGNORE_FILE = '.neevscanignore';

export interface WalkedFile {
  /** The path to open. */
  path: string;
  /** Relative to the walked root, with `/` separators. */
  relative: string;
}

export interface WalkWarning {
  path: string;
  reason: string;
}

interface IgnoreLayer {
  dir: string;
  rules: Ignore;
}

/**
 * Lists the regular files under `root`. Skips `.git`; honours `.neevscanignore`
 * files at every level (a deeper one can re-include what a higher one
 * excludes); never follows symbolic links, so it cannot leave the tree or loop
 * (a link's target inside the tree is scanned where it really is); passes over
 * sockets, FIFOs and devices, which could block or never end.
 */
export function walk(root: string, onWarning: (warning: WalkWarning) => void): WalkedFile[] {
  const files: WalkedFile[] = [];
  const visit = (dir: string, layers: IgnoreLayer[]) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      onWarning({ path: toPosix(relative(root, dir)) || '.', reason: reasonOf(error) });
      return;
    }
    const own = entries.find((e) => e.name === IGNORE_FILE && e.isFile());
    if (own) {
      try {
        layers = [...layers, { dir, rules: ignore().add(readFileSync(join(dir, IGNORE_FILE), 'utf8')) }];
      } catch (error) {
        onWarning({ path: toPosix(relative(root, join(dir, IGNORE_FILE))), reason: reasonOf(error) });
      }
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === '.git' || isIgnored(layers, path, true)) continue;
        visit(path, layers);
      } else if (entry.isFile()) {
        if (isIgnored(layers, path, false)) continue;
        files.push({ path, relative: toPosix(relative(root, path)) });
      }
    }
  };
  visit(root, []);
  return files;
}

/** The deepest ignore file with an opinion decides, as git does with nested .gitignore files. */
function isIgnored(layers: IgnoreLayer[], path: string, isDir: boolean): boolean {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    const rel = toPosix(relative(layer.dir, path)) + (isDir ? '/' : '');
    const verdict = layer.rules.test(rel);
    if (verdict.ignored) return true;
    if (verdict.unignored) return false;
  }
  return false;
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? 'unreadable');
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
