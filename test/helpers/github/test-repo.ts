/** Real git repositories for stand-in tests, made fast and free of the machine's git config. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GIT_ENV } from './git.js';

/** Identity and isolation for commits made in tests. */
export const TEST_GIT_ENV: Record<string, string> = {
  ...GIT_ENV,
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'Test Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.com',
};

export class TestRepo {
  private constructor(
    readonly path: string,
    readonly bare: boolean,
  ) {}

  /** `git init` at `path` (made if missing), on branch `main`. */
  static init(path: string, options: { bare?: boolean } = {}): TestRepo {
    mkdirSync(path, { recursive: true });
    const repo = new TestRepo(path, options.bare ?? false);
    repo.git('init', '-q', '-b', 'main', ...(options.bare ? ['--bare'] : []));
    return repo;
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-C', this.path, ...args], {
      env: { ...process.env, ...TEST_GIT_ENV },
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      stdio: ['pipe', 'pipe', 'pipe'],
    }).trim();
  }

  /** Writes (or, for null, deletes) files in the work tree, stages everything, commits; returns the new SHA. */
  commit(message: string, files: Record<string, string | Buffer | null> = {}): string {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.path, path);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  /**
   * `count` commits on `branch` in one `git fast-import` (hundreds in milliseconds), each writing
   * `file` with its own number. Returns their SHAs, oldest first.
   */
  fastCommits(count: number, options: { branch?: string; file?: string; message?: string } = {}): string[] {
    const branch = options.branch ?? 'main';
    const file = options.file ?? 'counter.txt';
    const parent = this.tryGit('rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
    const start = 1_700_000_000 + Number(this.tryGit('rev-list', '--count', '--all') ?? 0);
    const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
    let stream = '';
    for (let i = 0; i < count; i++) {
      const when = `${start + i} +0000`;
      stream += `commit refs/heads/${branch}\nmark :${i + 1}\n`;
      stream += `author ${TEST_GIT_ENV.GIT_AUTHOR_NAME} <${TEST_GIT_ENV.GIT_AUTHOR_EMAIL}> ${when}\n`;
      stream += `committer ${TEST_GIT_ENV.GIT_COMMITTER_NAME} <${TEST_GIT_ENV.GIT_COMMITTER_EMAIL}> ${when}\n`;
      stream += data(`${options.message ?? 'commit'} ${i + 1}`);
      if (i === 0 && parent) stream += `from ${parent}\n`;
      stream += `M 100644 inline ${file}\n${data(`${i + 1}\n`)}`;
    }
    execFileSync('git', ['-C', this.path, 'fast-import', '--quiet'], { env: { ...process.env, ...TEST_GIT_ENV }, input: stream });
    const shas = this.git('rev-list', '--reverse', `--max-count=${count}`, `refs/heads/${branch}`).split('\n');
    // fast-import moves the ref only; keep the work tree in step so later commit() calls build on it.
    if (!this.bare && this.tryGit('symbolic-ref', '--short', 'HEAD') === branch) this.git('reset', '-q', '--hard');
    return shas;
  }

  /**
   * One commit per entry, each adding or replacing its files, on `branch` in one `git fast-import` (a busy machine
   * makes dozens of `commit()` calls take many seconds). Returns their SHAs, oldest first.
   */
  commitEach(commits: Array<{ message: string; files: Record<string, string> }>, branch = 'main'): string[] {
    const parent = this.tryGit('rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
    const start = 1_700_000_000 + Number(this.tryGit('rev-list', '--count', '--all') ?? 0);
    const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
    let stream = '';
    for (const [i, commit] of commits.entries()) {
      const when = `${start + i} +0000`;
      stream += `commit refs/heads/${branch}\nmark :${i + 1}\n`;
      stream += `author ${TEST_GIT_ENV.GIT_AUTHOR_NAME} <${TEST_GIT_ENV.GIT_AUTHOR_EMAIL}> ${when}\n`;
      stream += `committer ${TEST_GIT_ENV.GIT_COMMITTER_NAME} <${TEST_GIT_ENV.GIT_COMMITTER_EMAIL}> ${when}\n`;
      stream += data(commit.message);
      if (i === 0 && parent) stream += `from ${parent}\n`;
      for (const [path, content] of Object.entries(commit.files)) stream += `M 100644 inline ${path}\n${data(content)}`;
    }
    execFileSync('git', ['-C', this.path, 'fast-import', '--quiet'], { env: { ...process.env, ...TEST_GIT_ENV }, input: stream });
    const shas = this.git('rev-list', '--reverse', `--max-count=${commits.length}`, `refs/heads/${branch}`).split('\n');
    if (!this.bare && this.tryGit('symbolic-ref', '--short', 'HEAD') === branch) this.git('reset', '-q', '--hard');
    return shas;
  }

  private tryGit(...args: string[]): string | null {
    try {
      return this.git(...args) || null;
    } catch {
      return null;
    }
  }
}
