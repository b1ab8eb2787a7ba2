/**
 * A real browser for the dashboard's tests: Debian's Chromium (apt-get install chromium), driven by
 * playwright-core. Every request a page makes is intercepted: those to the server's own origin go on, any other is
 * aborted and recorded, so a test can assert that nothing leaves the origin.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Where Debian installs Chromium; INFERD_CHROMIUM overrides it. */
export const CHROMIUM = process.env.INFERD_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or undefined when they can. In CI (INFERD_CI=1) a missing browser is a
 * failure, not a skip: .ci/run installs it.
 */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const why = `no Chromium at ${CHROMIUM}; install it with: apt-get install -y chromium`;
  if (process.env.INFERD_CI === '1') throw new Error(why);
  return why;
}

export interface TestBrowser {
  readonly browser: Browser;
  /** A context whose requests outside `origin` are aborted and listed in `offOrigin`. */
  context(origin: string, credentials?: { username: string; password: string }): Promise<BrowserContext>;
  /** Every request aborted for leaving the origin, by any context. */
  readonly offOrigin: string[];
  /** Uncaught errors of any page, and what pages logged as errors. */
  readonly pageErrors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Root in containers and CI: Chromium's sandbox needs user namespaces it may not have.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const offOrigin: string[] = [];
  const pageErrors: string[] = [];
  return {
    browser,
    offOrigin,
    pageErrors,
    async context(origin, credentials) {
      const context = await browser.newContext({
        viewport: { width: 1400, height: 900 },
        ...(credentials ? { httpCredentials: credentials } : {}),
      });
      context.on('page', (page) => {
        page.on('pageerror', (err) => pageErrors.push(err.message));
        page.on('console', (m) => {
          if (m.type() === 'error') pageErrors.push(m.text());
        });
      });
      await context.route('**/*', async (route) => {
        const url = route.request().url();
        if (new URL(url).origin === origin || url.startsWith('data:')) return route.continue();
        offOrigin.push(url);
        return route.abort('blockedbyclient');
      });
      return context;
    },
    close: () => browser.close(),
  };
}
