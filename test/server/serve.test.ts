import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { freePort } from '../helpers/server.js';

describe('neevscan serve without Redis', () => {
  it('starts, answers 503 on /readyz, and keeps retrying with a line naming REDIS_URL', async () => {
    // A port nothing listens on (it was free a moment ago); serve itself takes any free port (PORT=0).
    const deadPort = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, PORT: '0', REDIS_URL: `redis://127.0.0.1:${deadPort}`, NEEVSCAN_ADMIN_TOKEN: 'x' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    try {
      let url: string | undefined;
      for (let i = 0; i < 200 && !url; i++) {
        url = /neevscan serving on (http:\/\/[^\s"]+)/.exec(output)?.[1];
        if (!url) await new Promise((r) => setTimeout(r, 50));
      }
      expect(url, output).toBeDefined();
      expect((await fetch(`${url}/readyz`)).status).toBe(503);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const api = await fetch(`${url}/api/v1/owners`, { headers: { authorization: 'Bearer x' } });
      expect(api.status).toBe(503);
      expect(await api.json()).toMatchObject({ error: { code: 'unavailable' } });
      await new Promise((r) => setTimeout(r, 300));
      expect(output).toContain(`REDIS_URL=redis://127.0.0.1:${deadPort}`);
      expect(child.exitCode).toBeNull();
      // SIGTERM stops it even though Redis never came: nothing to wait for.
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
