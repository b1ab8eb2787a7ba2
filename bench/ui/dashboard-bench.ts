/**
 * `npm run bench:dashboard`: what open dashboard tabs cost the server. inferd (a child process, the example
 * repository) answers a steady 1,000 requests per second of digits from a paced closed loop; phases with no tab
 * and with five tabs (Chromium pages on the on-call view, each with its own event stream) alternate, and each
 * phase's server CPU time (all threads, from /proc) is divided by the requests it answered. Also the first
 * render of the page with 20 models, as the browser times it. Prints a markdown section for BENCHMARKS.md.
 *
 * A tab costs the server its page load and its event stream; the browser's own drawing costs the machine the
 * browser runs on. On one small machine shared with the server, Chromium drawing five tabs takes the cores the
 * server needs for 1,000 req/s, so by default each tab is what it is to the server: the page's files fetched once,
 * then its stream read and every snapshot parsed (`--clients streams`); `--clients browser` opens real Chromium tabs.
 *
 * Flags: --rate N (1000), --phase-s S (15), --rounds N (3), --tabs N (5), --clients streams|browser.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { get as httpGet, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { inferBody, referenceRows } from '../bodies.js';
import { installCleanup, startService, type Service } from '../children.js';
import { loadAverage, machineInfo } from '../machine.js';
import { INFERD_CLI, MODELS_DIR, REPO_ROOT } from '../paths.js';
import { startPhasedLoad } from '../phased-load.js';
import { cpuMicros } from '../process-stats.js';
import { median } from '../stats.js';

const CHROMIUM = process.env.INFERD_CHROMIUM ?? '/usr/bin/chromium';

interface PhaseResult {
  readonly tabs: number;
  readonly answered: number;
  readonly cpuUsPerInference: number;
  readonly ratePerS: number;
}

function startInferd(repository: string): Promise<Service> {
  return startService(
    'inferd',
    process.execPath,
    [INFERD_CLI, 'serve', '--model-repository', repository, '--http-port', '0', '--grpc-port', '-1'],
    { cwd: REPO_ROOT, env: { ...process.env, INFERD_LOG_FORMAT: 'json' } },
  );
}

/** What a tab is to the server: the page and its files fetched, then the stream read and parsed. */
async function openStreams(url: string, n: number): Promise<{ close(): void; snapshots(): number }> {
  const html = await (await fetch(`${url}/ui`)).text();
  const files = [...html.matchAll(/(?:href|src)="(\/ui\/[^"]+)"/g)].map((m) => m[1]);
  let snapshots = 0;
  const requests: ClientRequest[] = [];
  for (let i = 0; i < n; i++) {
    await Promise.all(
      files.map(async (f) => (await fetch(`${url}${f}`, { headers: { 'accept-encoding': 'gzip' } })).arrayBuffer()),
    );
    const req = httpGet(`${url}/ui/stream`, (res) => {
      res.setEncoding('utf8');
      let buffered = '';
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let end;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const data = /^data: (.*)$/m.exec(buffered.slice(0, end))?.[1];
          buffered = buffered.slice(end + 2);
          if (data) {
            JSON.parse(data);
            snapshots++;
          }
        }
      });
    });
    req.on('error', () => {});
    requests.push(req);
  }
  return { close: () => requests.forEach((r) => r.destroy()), snapshots: () => snapshots };
}

async function openTabs(browser: Browser, url: string, n: number): Promise<Page[]> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const pages: Page[] = [];
  for (let i = 0; i < n; i++) {
    const page = await context.newPage();
    await page.goto(`${url}/ui#oncall`);
    await page.waitForSelector('body[data-snapshot]');
    pages.push(page);
  }
  return pages;
}

/** First render of the page with `models` loaded (ms after navigation started), `runs` fresh loads. */
async function firstRenders(browser: Browser, url: string, runs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/ui`);
    await page.waitForSelector('body[data-snapshot]');
    out.push(
      await page.evaluate(
        () => (globalThis as unknown as { __inferd: { firstRenderMs: number } }).__inferd.firstRenderMs,
      ),
    );
    await context.close();
  }
  return out;
}

function twentyModelRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-dashboard-bench-'));
  for (let i = 1; i <= 19; i++)
    cpSync(join(MODELS_DIR, 'digits'), join(dir, `m${String(i).padStart(2, '0')}`), { recursive: true });
  cpSync(join(MODELS_DIR, 'breast_cancer_xgb'), join(dir, 'breast_cancer_xgb'), { recursive: true });
  return dir;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '1000' },
      'phase-s': { type: 'string', default: '15' },
      rounds: { type: 'string', default: '3' },
      tabs: { type: 'string', default: '5' },
      clients: { type: 'string', default: 'streams' },
    },
  });
  const rate = Number(values.rate);
  const phaseMs = Number(values['phase-s']) * 1000;
  const rounds = Number(values.rounds);
  const tabsOpen = Number(values.tabs);
  const repo = twentyModelRepository();
  let inferd: Service | undefined;
  let browser: Browser | undefined;
  installCleanup(() => rmSync(repo, { recursive: true, force: true }));
  try {
    inferd = await startInferd(repo);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    const renders = await firstRenders(browser, inferd.url, 5);
    const bodies = referenceRows().map((row) => inferBody(row));
    const load = startPhasedLoad({
      url: `${inferd.url}/v2/models/m01/infer`,
      bodies,
      concurrency: 16,
      ratePerS: rate,
      firstPhase: 'warm-up',
    });
    await sleep(5000);
    const results: PhaseResult[] = [];
    const useBrowser = values.clients === 'browser';
    let tabs: { close(): Promise<void> | void } | undefined;
    const open = async (n: number) => {
      if (useBrowser) {
        const pages = await openTabs(browser!, inferd!.url, n);
        return { close: () => pages[0].context().close() };
      }
      return openStreams(inferd!.url, n);
    };
    for (let round = 0; round < rounds; round++) {
      // Alternate which comes first, so a drift of the machine's load does not favour one side.
      const order = round % 2 === 0 ? [0, tabsOpen] : [tabsOpen, 0];
      for (const n of order) {
        if (n > 0 && !tabs) tabs = await open(n);
        if (n === 0 && tabs) {
          await tabs.close();
          tabs = undefined;
        }
        await sleep(2000); // let the tabs' first snapshots and page loads pass
        const phase = `${round}:${n}`;
        load.setPhase(phase);
        const cpu0 = cpuMicros(inferd.pid);
        const t0 = performance.now();
        await sleep(phaseMs);
        const cpu1 = cpuMicros(inferd.pid);
        const seconds = (performance.now() - t0) / 1000;
        load.setPhase(`${phase}:after`);
        const answered = load.samples(phase).okUs.length;
        results.push({ tabs: n, answered, cpuUsPerInference: (cpu1 - cpu0) / answered, ratePerS: answered / seconds });
        process.stderr.write(
          `round ${round + 1}, ${n} tabs: ${answered} answers, ${((cpu1 - cpu0) / answered).toFixed(1)} µs CPU each\n`,
        );
      }
    }
    await tabs?.close();
    tabs = undefined;
    await load.stop();
    // The dashboard's own cost without traffic around it: the server's CPU per second, idle, with and without tabs.
    const idle: Array<{ tabs: number; cpuMsPerS: number }> = [];
    for (let round = 0; round < rounds; round++) {
      for (const n of round % 2 === 0 ? [0, tabsOpen] : [tabsOpen, 0]) {
        if (n > 0 && !tabs) tabs = await open(n);
        if (n === 0 && tabs) {
          await tabs.close();
          tabs = undefined;
        }
        await sleep(2000);
        const cpu0 = cpuMicros(inferd.pid);
        const t0 = performance.now();
        await sleep(phaseMs);
        idle.push({ tabs: n, cpuMsPerS: (cpuMicros(inferd.pid) - cpu0) / (performance.now() - t0) });
        process.stderr.write(`idle round ${round + 1}, ${n} tabs: ${idle.at(-1)!.cpuMsPerS.toFixed(2)} ms CPU per s\n`);
      }
    }
    await tabs?.close();
    console.log(
      report(
        results,
        renders,
        tabsOpen,
        rate,
        useBrowser ? 'Chromium tabs' : 'streams (page fetched, stream read and parsed)',
      ),
    );
    console.log(idleSummary(idle, results, tabsOpen, rate));
  } finally {
    await browser?.close();
    await inferd?.stop();
    rmSync(repo, { recursive: true, force: true });
  }
}

function report(
  results: readonly PhaseResult[],
  renders: readonly number[],
  tabs: number,
  rate: number,
  clients: string,
): string {
  const of = (n: number) => results.filter((r) => r.tabs === n);
  const cpu = (n: number) => median(of(n).map((r) => r.cpuUsPerInference));
  const off = cpu(0);
  const on = cpu(tabs);
  const m = machineInfo();
  const rows = results.map(
    (r) => `| ${r.tabs} | ${r.ratePerS.toFixed(0)} | ${r.answered} | ${r.cpuUsPerInference.toFixed(1)} |`,
  );
  return [
    `### Dashboard: ${tabs} open tabs at ${rate} req/s (${new Date().toISOString().slice(0, 10)})`,
    '',
    `${m.cores} × ${m.cpuModel}, load average ${loadAverage()}; inferd with 20 models, digits at a steady ${rate} req/s (16 paced connections); phases alternate; tabs as ${clients}.`,
    '',
    '| tabs | req/s | answered | server CPU µs per inference |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `Median server CPU per inference: ${off.toFixed(1)} µs with no tab, ${on.toFixed(1)} µs with ${tabs} tabs: ${(((on - off) / off) * 100).toFixed(2)} % (${(on / off).toFixed(3)}×).`,
    `First render with 20 models (navigation start to the first snapshot drawn), 5 fresh loads: median ${median(renders).toFixed(0)} ms (${renders.map((r) => r.toFixed(0)).join(', ')}).`,
  ].join('\n');
}

/** The tabs' own CPU per second on an idle server, against what the inferences of the loaded phases cost. */
function idleSummary(
  idle: ReadonlyArray<{ tabs: number; cpuMsPerS: number }>,
  results: readonly PhaseResult[],
  tabs: number,
  rate: number,
): string {
  const of = (n: number) => median(idle.filter((r) => r.tabs === n).map((r) => r.cpuMsPerS));
  const added = of(tabs) - of(0);
  const perInference = median(results.filter((r) => r.tabs === 0).map((r) => r.cpuUsPerInference));
  const inferenceMsPerS = (rate * perInference) / 1000;
  return [
    '',
    `Idle server, phases alternating: ${of(0).toFixed(2)} ms CPU per second with no tab, ${of(tabs).toFixed(2)} with ${tabs} tabs (${idle.map((r) => `${r.tabs}: ${r.cpuMsPerS.toFixed(2)}`).join(', ')}).`,
    `The tabs' ${added.toFixed(2)} ms of CPU per second against ${rate} inferences per second at ${perInference.toFixed(1)} µs each (${inferenceMsPerS.toFixed(0)} ms per second): ${((added / inferenceMsPerS) * 100).toFixed(2)} % more CPU per inference.`,
  ].join('\n');
}

await main();
