/**
 * The dashboard's settings and its stream over plain HTTP: off means no route at all, the path is configurable,
 * and every open stream gets the same snapshots (one read per tick, whatever the number of tabs).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

/** An open event stream: the events received so far, by name. */
function openStream(url: string): {
  events: Array<{ event: string; id?: string | undefined; data: string }>;
  close(): void;
} {
  const events: Array<{ event: string; id?: string | undefined; data: string }> = [];
  let buffered = '';
  const req = request(url, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffered += chunk;
      let end;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const field = (name: string) => block.match(new RegExp(`^${name}: (.*)$`, 'm'))?.[1];
        const event = field('event');
        if (event) events.push({ event, id: field('id') ?? undefined, data: field('data') ?? '' });
      }
    });
  });
  req.on('error', () => {});
  req.end();
  return { events, close: () => req.destroy() };
}

describe('dashboard settings', () => {
  test('ui.enabled: false serves no dashboard', async () => {
    const server = await startTestServer({ config: { ui: { enabled: false } } });
    try {
      for (const path of ['/ui', '/ui/stream', '/ui/app/app.js']) {
        assert.equal((await fetch(`${server.url}${path}`)).status, 404, path);
      }
    } finally {
      await server.close();
    }
  });

  test('ui.path moves it; every open stream gets the same snapshots', async () => {
    const server = await startTestServer({ config: { ui: { path: '/ops/board', interval_ms: 200 } } });
    const tabs = [openStream(`${server.url}/ops/board/stream`), openStream(`${server.url}/ops/board/stream`)];
    try {
      assert.equal((await fetch(`${server.url}/ui`)).status, 404);
      const page = await fetch(`${server.url}/ops/board`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /src="\/ops\/board\/app\/app\.js"/);
      const snapshots = (i: number) => tabs[i].events.filter((e) => e.event === 'snapshot').map((e) => Number(e.id));
      await waitFor(() => snapshots(0).length >= 4 && snapshots(1).length >= 4, 'four snapshots on both streams');
      const hello = JSON.parse(tabs[0].events[0].data) as { bounds: number[]; intervalMs: number; mode: string };
      assert.equal(tabs[0].events[0].event, 'hello');
      assert.equal(hello.intervalMs, 200);
      // Both tabs are sent the snapshots read after both listened, the same ids: one read serves every tab.
      const shared = snapshots(1).filter((id) => snapshots(0).includes(id));
      assert.ok(
        shared.length >= 3,
        `shared snapshots ${shared.join(',')} of ${snapshots(0).join(',')} and ${snapshots(1).join(',')}`,
      );
      const last = JSON.parse(tabs[0].events.at(-1)!.data) as { models: Array<{ name: string }> };
      assert.ok(last.models.some((m) => m.name === 'digits'));
    } finally {
      for (const t of tabs) t.close();
      await server.close();
    }
  });
});
