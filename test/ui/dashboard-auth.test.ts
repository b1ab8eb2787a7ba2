/**
 * The dashboard behind authentication: without credentials the page, its files and its stream answer 401 asking
 * for HTTP Basic (the API key as the password); Basic credentials count only on the dashboard's routes and on
 * the page's API calls (header x-inferd-ui); in a real browser a read-only key sees everything and cannot act, and
 * an admin's action is recorded as the API records it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { RunningServer } from '../../src/index.js';
import { startTestServer } from '../helpers/server.js';
import { browserMissing, launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';
import { keysFile } from '../security/security-helpers.js';

const ADMIN = 'dashboard-admin-key-0123';
const VIEWER = 'dashboard-viewer-key-0123';

const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

interface RolloutJson {
  id: string;
  status: string;
  last_decision: { action: string; by: string } | null;
}

describe('dashboard with authentication on', { timeout: 180_000 }, () => {
  let repo: ReturnType<typeof tempRepo>;
  let dir: string;
  let server: RunningServer;
  let rollout: RolloutJson;

  const api = async <T>(path: string, init: { method?: string; headers?: Record<string, string> } = {}) => {
    const res = await fetch(`${server.url}${path}`, { method: init.method ?? 'GET', headers: init.headers ?? {} });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as T };
  };
  const asAdmin = { authorization: `Bearer ${ADMIN}` };
  const events = async () =>
    (await api<{ events: Array<{ type: string; rollout?: string }> }>('/v1/models/digits/events', { headers: asAdmin }))
      .body.events;

  before(async () => {
    repo = tempRepo({
      digits: {
        versions: { 1: MODELS.digits, 2: MODELS.retrained },
        config: 'version_policy: all\ntraffic: { weights: { 1: 100 } }\n',
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'inferd-ui-auth-'));
    const keysPath = join(dir, 'keys.yaml');
    writeFileSync(
      keysPath,
      keysFile([
        { name: 'ops', key: ADMIN, scopes: ['admin', 'infer:*'] },
        { name: 'viewer', key: VIEWER, scopes: ['metrics'] },
      ]),
    );
    server = await startTestServer({
      repository: repo.dir,
      config: {
        auth: { enabled: true, api_keys_file: keysPath },
        ui: { interval_ms: 500 },
        model_control_mode: 'explicit',
        load_models: ['digits'],
      },
    });
    // A rollout that stays in its first step for the whole test: the page's actions have something to act on.
    const res = await fetch(`${server.url}/v1/models/digits/rollouts`, {
      method: 'POST',
      headers: asAdmin,
      body: JSON.stringify({
        candidate: 2,
        steps: [10, 100],
        interval_ms: 3_600_000,
        checks: { error_rate: { max_increase: 0.5, min_samples: 1000 } },
      }),
    });
    assert.equal(res.status, 201);
    rollout = (await res.json()) as RolloutJson;
  });

  after(async () => {
    await server?.close();
    repo?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('without credentials the page, its files and its stream answer 401, asking for Basic', async () => {
    for (const path of ['/ui', '/ui/stream', '/ui/app/app.js', '/ui/vendor/preact.mjs']) {
      const res = await api(path);
      assert.equal(res.status, 401, path);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="inferd"/, path);
    }
    const wrong = await api('/ui/stream', { headers: { authorization: basic('me', 'not-a-key') } });
    assert.equal(wrong.status, 401);
    const right = await fetch(`${server.url}/ui`, { headers: { authorization: basic('me', VIEWER) } });
    assert.equal(right.status, 200);
    assert.match(right.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  });

  test("Basic credentials count on the dashboard's routes and on the page's API calls only", async () => {
    const path = `/v1/models/digits/rollouts/${rollout.id}/pause`;
    // A form on another site could make a browser send its cached Basic credentials, but not a custom header.
    const forged = await api(path, { method: 'POST', headers: { authorization: basic('me', ADMIN) } });
    assert.equal(forged.status, 401);
    assert.match(forged.headers.get('www-authenticate') ?? '', /^Bearer/);
    const read = await api('/v1/models/digits/traffic', {
      headers: { authorization: basic('me', VIEWER), 'x-inferd-ui': '1' },
    });
    assert.equal(read.status, 200);
    assert.ok(!(await events()).some((e) => e.type === 'rollout_paused'));
  });

  describe('in a browser', { skip: browserMissing() }, () => {
    let browser: TestBrowser;

    before(async () => {
      browser = await launchBrowser();
    });

    after(async () => {
      await browser?.close();
    });

    /** A tab on the debug view of digits, signed in with `key`, every confirmation accepted. */
    async function debugTab(key: string, status = 'progressing'): Promise<Page> {
      const context = await browser.context(server.url, { username: 'operator', password: key });
      const page = await context.newPage();
      page.on('dialog', (d) => void d.accept());
      await page.goto(`${server.url}/ui#debug/digits`);
      await page.waitForSelector('[data-testid=rollout-status]');
      assert.equal(await page.locator('[data-testid=rollout-status]').innerText(), status);
      return page;
    }

    test('a read-only key sees the dashboard but cannot act', async () => {
      const page = await debugTab(VIEWER);
      await page.locator('[data-testid=rollout-pause]').click();
      const result = page.locator('[data-testid=rollout-result]');
      await result.waitFor({ timeout: 5000 }).catch(() => assert.fail(browser.pageErrors.join('\n')));
      assert.match(await result.innerText(), /^pause: refused: .*admin/);
      const now = await api<RolloutJson>(`/v1/models/digits/rollouts/${rollout.id}`, { headers: asAdmin });
      assert.equal(now.body.status, 'progressing');
      assert.ok(!(await events()).some((e) => e.type === 'rollout_paused'));
      assert.deepEqual(browser.offOrigin, []);
      await page.context().close();
    });

    test("an admin's pause is done and recorded as the API records it", async () => {
      const page = await debugTab(ADMIN);
      await page.locator('[data-testid=rollout-pause]').click();
      await page.locator('[data-testid=rollout-result]').waitFor();
      assert.equal(await page.locator('[data-testid=rollout-result]').innerText(), 'pause: done');
      const now = await api<RolloutJson>(`/v1/models/digits/rollouts/${rollout.id}`, { headers: asAdmin });
      assert.equal(now.body.status, 'paused');
      assert.deepEqual(
        { action: now.body.last_decision?.action, by: now.body.last_decision?.by },
        { action: 'pause', by: 'operator' },
      );
      assert.ok((await events()).some((e) => e.type === 'rollout_paused' && e.rollout === rollout.id));
      // The stream pushes the event: the page shows the new status without a reload.
      await page.waitForSelector('[data-testid=rollout-status]:text-is("paused")');
      await page.waitForSelector('[data-testid=changes] li[data-type=rollout_paused]');
      assert.deepEqual(browser.offOrigin, []);
      await page.context().close();
    });

    test('an admin aborts the rollout, sets weights, and unloads and loads the model (explicit mode)', async () => {
      const page = await debugTab(ADMIN, 'paused');
      const result = (id: string) => page.locator(`[data-testid=${id}]`);
      await page.locator('[data-testid=rollout-abort]').click();
      await page.waitForSelector('[data-testid=rollout-status]:text-is("aborted")');
      assert.equal(await result('rollout-result').innerText(), 'abort: done');

      await page.locator('[data-testid=weight-1]').fill('70');
      await page.locator('[data-testid=weight-2]').fill('30');
      await page.locator('[data-testid=set-weights]').click();
      await result('weights-result').waitFor();
      assert.equal(await result('weights-result').innerText(), 'set weights: done');
      const traffic = await api<{ weights: Record<string, number> }>('/v1/models/digits/traffic', { headers: asAdmin });
      assert.deepEqual(traffic.body.weights, { 1: 70, 2: 30 });
      await page.waitForSelector(
        '[data-testid=versions] tr[data-version="2"] [data-field=debug-share][data-value="30"]',
      );

      await page.locator('[data-testid=model-unload]').click();
      await result('repository-result').waitFor();
      assert.equal(await result('repository-result').innerText(), 'unload: done');
      await page.waitForSelector('[data-testid=changes] li[data-type=version_unloaded]');
      await page.locator('[data-testid=model-load]').click();
      await page.waitForSelector('[data-testid=repository-result]:text-is("load: done")');
      const ready = await api<Array<{ name: string; state: string }>>('/v2/repository/index', {
        method: 'POST',
        headers: asAdmin,
      });
      assert.ok(ready.body.some((e) => e.name === 'digits' && e.state === 'READY'));
      const types = new Set((await events()).map((e) => e.type));
      for (const type of ['rollout_aborted', 'traffic_changed', 'version_unloaded', 'version_ready'])
        assert.ok(types.has(type), `event ${type} recorded`);
      assert.deepEqual(browser.offOrigin, []);
      assert.deepEqual(
        browser.pageErrors.filter((e) => !e.includes('403')),
        [],
      );
      await page.context().close();
    });
  });
});
