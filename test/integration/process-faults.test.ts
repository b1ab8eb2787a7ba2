/**
 * The server process's policy for errors nothing caught, on the built CLI: an unhandled rejection is logged with
 * its error and counted in inferd_process_faults_total while the server keeps serving; an uncaught exception is
 * logged, counted, and the server stops gracefully (in-flight requests answered) and exits 1, never silently.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_PATH, MODELS_DIR, ROOT } from '../helpers/server.js';
import { GIVE_UP_MS, waitFor as waitUntil } from '../helpers/wait-for.js';

const INJECTOR = join(ROOT, 'dist', 'test', 'helpers', 'fault-injector.js');

interface Child {
  readonly proc: ChildProcess;
  readonly logs: string[];
  readonly urls: Promise<{ http: string; metrics: string }>;
  readonly exited: Promise<number | null>;
  /** Resolves with the first log line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

function spawnWithInjector(fault: 'rejection' | 'exception'): Child {
  const args = [
    '--import',
    INJECTOR,
    CLI_PATH,
    'serve',
    '--model-repository',
    MODELS_DIR,
    '--load-model',
    'digits',
    '--model-control-mode',
    'explicit',
    '--http-port',
    '0',
    '--grpc-port=-1',
    '--metrics-port',
    '0',
  ];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, INFERD_TEST_FAULT: fault },
  });
  const logs: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    logs.push(line);
    for (const w of waiters.filter((w) => w.pattern.test(line))) w.resolve(line);
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => logs.push(chunk));
  const waitFor = (pattern: RegExp, timeoutMs = GIVE_UP_MS) => {
    const seen = logs.find((l) => pattern.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no log line matching ${pattern} within ${timeoutMs} ms:\n${logs.slice(-8).join('\n')}`)),
        timeoutMs,
      );
      waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  };
  const urls = (async () => {
    const metrics = JSON.parse(await waitFor(/"msg":"metrics on /)) as { metrics_url: string };
    const http = JSON.parse(await waitFor(/"msg":"inferd listening on /)) as { url: string };
    return { http: http.url, metrics: metrics.metrics_url };
  })();
  return { proc, logs, urls, exited, waitFor };
}

async function faultCount(metricsUrl: string, kind: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const m = new RegExp(`^inferd_process_faults_total\\{kind="${kind}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

const digitsBody = JSON.stringify({
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(1) }],
});

/** Posts digitsBody on a fresh connection; `written` is called once the whole request is written. Resolves with the status or the error. */
function postDigits(url: string, written: () => void): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest(
      `${url}/v2/models/digits/infer`,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(digitsBody) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', (err) => resolve(err.message));
      },
    );
    req.on('finish', written);
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end(digitsBody);
  });
}

describe('process faults', () => {
  const children: Child[] = [];
  after(() => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  });

  it('an unhandled rejection is logged with its error and counted; the server keeps serving and later exits 0 on SIGTERM', async () => {
    const child = spawnWithInjector('rejection');
    children.push(child);
    const { http, metrics } = await child.urls;
    assert.equal(await faultCount(metrics, 'unhandled_rejection'), 0);
    child.proc.kill('SIGUSR2');
    const line = JSON.parse(await child.waitFor(/unhandled promise rejection/)) as {
      level: number;
      err?: { message?: string };
    };
    assert.equal(line.level, 50, 'logged at error level');
    assert.equal(line.err?.message, 'injected rejection from fault-injector', 'the log carries the error');
    assert.equal(await faultCount(metrics, 'unhandled_rejection'), 1);
    const res = await fetch(`${http}/v2/models/digits/infer`, { method: 'POST', body: digitsBody });
    assert.equal(res.status, 200, 'still serving');
    child.proc.kill('SIGTERM');
    assert.equal(await child.exited, 0);
  });

  it('an uncaught exception is logged and counted, then the server stops gracefully and exits 1', async () => {
    const child = spawnWithInjector('exception');
    children.push(child);
    const { http } = await child.urls;
    // A request in flight when the exception happens is still answered: the fault is injected once all eight are
    // written (an event, so a busy machine cannot leave them unsent).
    let written = 0;
    const inFlight = Array.from({ length: 8 }, () => postDigits(http, () => written++));
    await waitUntil(() => written === inFlight.length, 'the requests to be written');
    child.proc.kill('SIGUSR2');
    const line = JSON.parse(await child.waitFor(/uncaught exception/)) as { level: number; err?: { message?: string } };
    assert.equal(line.level, 60, 'logged at fatal level');
    assert.equal(line.err?.message, 'injected exception from fault-injector');
    await child.waitFor(/"msg":"inferd stopped"/);
    const code = await Promise.race([child.exited, sleep(GIVE_UP_MS, 'no exit', { ref: false })]);
    assert.equal(code, 1, `exit code; logs:\n${child.logs.slice(-6).join('\n')}`);
    for (const s of await Promise.all(inFlight)) assert.ok(s === 200 || s === 503, `in-flight request ended with ${s}`);
    assert.ok(
      (await Promise.all(inFlight)).some((s) => s === 200),
      'requests sent before the exception were answered',
    );
  });
});
