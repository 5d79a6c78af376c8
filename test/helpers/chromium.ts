import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

/**
 * A headless chromium for the dashboard's browser test, with nothing to
 * install beyond `npm ci`: NEEVSCAN_CHROMIUM when set; else the chromium that
 * the `@sparticuz/chromium` devDependency carries inside its package (unpacked
 * to /tmp on first use, about 20 s on the 2-core test machine); else the
 * system's `/usr/bin/chromium` when that one fails (another CPU, another libc).
 * Throws, naming every place it tried, when none launches.
 */
export async function launchChromium(): Promise<{ browser: Browser; executablePath: string }> {
  const failures: string[] = [];
  const candidates: Array<[string, () => Promise<string>]> = process.env.NEEVSCAN_CHROMIUM
    ? [['NEEVSCAN_CHROMIUM', async () => process.env.NEEVSCAN_CHROMIUM!]]
    : [
        ['@sparticuz/chromium', async () => (await import('@sparticuz/chromium')).default.executablePath()],
        [
          '/usr/bin/chromium',
          async () => (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : Promise.reject(new Error('not installed'))),
        ],
      ];
  for (const [name, locate] of candidates) {
    try {
      const executablePath = await locate();
      return { browser: await chromium.launch({ executablePath, headless: true, args: ARGS }), executablePath };
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    `no chromium launches (${failures.join('; ')}): run npm ci (it installs @sparticuz/chromium), apt-get install -y chromium, or set NEEVSCAN_CHROMIUM; NEEVSCAN_SKIP_BROWSER=1 skips the browser test`,
  );
}
