import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { freePort } from '../helpers/server.js';

describe('neevscan serve without Redis', () => {
  it('starts, answers 503 on /readyz, and keeps retrying with a line naming REDIS_URL', async () => {
    const port = await freePort();
    const deadPort = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, PORT: String(port), REDIS_URL: `redis://127.0.0.1:${deadPort}`, NEEVSCAN_ADMIN_TOKEN: 'x' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    try {
      let ready: Response | undefined;
      for (let i = 0; i < 100 && !ready; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        if (!ready) await new Promise((r) => setTimeout(r, 50));
      }
      expect(ready?.status).toBe(503);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const api = await fetch(`http://127.0.0.1:${port}/api/v1/owners`, { headers: { authorization: 'Bearer x' } });
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
