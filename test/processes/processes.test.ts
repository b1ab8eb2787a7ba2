/**
 * `inferd serve --processes 2` as a child process, over real HTTP and gRPC: connections spread over both serving
 * processes; one scrape of the metrics port counts every request exactly once; a traffic policy set through one
 * process is served by both; a SIGKILLed process fails only the requests it held, is started again and counted;
 * SIGTERM to the primary drains both with no failed request and exit code 0.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { CLI_PATH, MODELS_DIR, ROOT } from '../helpers/server.js';
import { GIVE_UP_MS, waitFor } from '../helpers/wait-for.js';
import { connect, rawBytes, type InferenceClient } from '../grpc/grpc-client.js';

const ROW = Array.from({ length: 64 }, (_, i) => (i % 16) / 16);
const BODY = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: ROW }] });

interface Reply {
  readonly status?: number | undefined;
  readonly body?: string;
  readonly close?: boolean;
  readonly error?: string;
}

function call(url: string, agent: Agent | false, method: 'GET' | 'POST' = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve) => {
    const req = httpRequest(
      url,
      {
        method,
        agent,
        timeout: 60_000,
        headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, body: text, close: res.headers.connection === 'close' }));
        res.on('error', (err) => resolve({ error: String(err) }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(body);
  });
}

/** The value of every series of `name` whose labels include all of `labels`, summed. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The child processes of `pid` (the serving processes of the primary). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

describe('inferd serve --processes 2', () => {
  let child: ChildProcess;
  let exited: Promise<number | null>;
  const logs: string[] = [];
  let url = '';
  let grpcUrl = '';
  let metricsUrl = '';
  let grpc: InferenceClient | undefined;
  const stateDir = mkdtempSync(join(tmpdir(), 'inferd-processes-'));
  // digits alone (explicit mode, which would load it alone, is refused with several processes).
  const repository = mkdtempSync(join(tmpdir(), 'inferd-processes-models-'));
  cpSync(join(MODELS_DIR, 'digits'), join(repository, 'digits'), { recursive: true });
  const scrape = async () => (await call(metricsUrl, false)).body ?? '';

  before(async () => {
    child = spawn(
      process.execPath,
      [
        CLI_PATH,
        'serve',
        '--processes',
        '2',
        '--model-repository',
        repository,
        '--http-port',
        '0',
        '--grpc-port',
        '0',
        '--metrics-port',
        '0',
        '--state-dir',
        stateDir,
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, INFERD_SHUTDOWN_DELAY_MS: '300', INFERD_SHUTDOWN_TIMEOUT_MS: '60000' },
      },
    );
    exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      const m = /"url":"([^"]+)","processes":2,"grpc_url":"([^"]+)","metrics_url":"([^"]+)"/.exec(line);
      if (m) [, url, grpcUrl, metricsUrl] = m;
    });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => logs.push(c));
    await waitFor(() => url !== '' || child.exitCode !== null, 'the primary to say both processes listen');
    assert.ok(url, logs.join('\n'));
    grpc = connect(grpcUrl);
  });

  after(async () => {
    grpc?.close();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(repository, { recursive: true, force: true });
  });

  /** inference_count of digits as `reads` fresh connections (both processes, in turn) report it, if they all agree. */
  const statsCount = async (reads = 6): Promise<number | undefined> => {
    const seen = new Set<number>();
    for (let i = 0; i < reads; i++) {
      const r = await call(`${url}/v2/models/digits/stats`, false);
      const body = JSON.parse(r.body ?? '{}') as { model_stats?: Array<{ inference_count: number }> };
      seen.add((body.model_stats ?? []).reduce((n, s) => n + s.inference_count, 0));
    }
    return seen.size === 1 ? [...seen][0] : undefined;
  };

  /** The digits SLO's availability window total as `reads` fresh connections report it, if they all agree. */
  const sloTotal = async (reads = 6): Promise<number | undefined> => {
    const seen = new Set<number>();
    for (let i = 0; i < reads; i++) {
      const r = await call(`${url}/v1/models/digits/slo`, false);
      const body = JSON.parse(r.body ?? '{}') as { slis?: { availability?: { window: { total: number } } } };
      seen.add(body.slis?.availability?.window.total ?? NaN);
    }
    return seen.size === 1 ? [...seen][0] : undefined;
  };

  it('spreads connections over both processes; one scrape, every statistics and SLO answer count each request once', async () => {
    assert.equal((await call(`${url}/v2/health/ready`, false)).status, 200);
    let statsBefore: number | undefined;
    await waitFor(
      async () => (statsBefore = await statsCount()) !== undefined,
      'both processes to agree on the statistics',
    );
    let sloBefore: number | undefined;
    await waitFor(async () => (sloBefore = await sloTotal()) !== undefined, 'both processes to agree on the SLO');
    const before = await scrape();
    const http = 40;
    for (let i = 0; i < http; i++) {
      const r = await call(`${url}/v2/models/digits/infer`, false, 'POST', BODY);
      assert.equal(r.status, 200, JSON.stringify(r));
    }
    const calls = 10;
    for (let i = 0; i < calls; i++)
      await grpc!.call('ModelInfer', {
        model_name: 'digits',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }],
        raw_input_contents: [rawBytes(Float32Array.from(ROW))],
      });
    const after = await scrape();
    const count = (text: string, protocol: string) =>
      metric(text, 'inferd_requests_total', { model: 'digits', protocol, outcome: 'success' });
    assert.equal(count(after, 'http') - count(before, 'http'), http);
    assert.equal(count(after, 'grpc') - count(before, 'grpc'), calls);
    for (const p of ['1', '2'])
      assert.ok(
        metric(after, 'inferd_process_requests_total', { process: p }) > 0,
        `process ${p} answered no request:\n${after
          .split('\n')
          .filter((l) => l.includes('process_requests'))
          .join('\n')}`,
      );
    assert.equal(metric(after, 'inferd_processes'), 2);
    assert.equal(metric(after, 'inferd_processes_ready'), 2);
    assert.equal(metric(after, 'inferd_canary_leader'), 1, 'one canary leader across the processes');
    // Statistics answer for the whole server from either process (the other's part is at most a second old).
    await waitFor(
      async () => (await statsCount()) === statsBefore! + http + calls,
      `statistics from both processes to count ${http + calls} more inferences`,
    );
    await waitFor(
      async () => (await sloTotal()) === sloBefore! + http + calls,
      `the SLO report from both processes to count ${http + calls} more requests`,
    );
  });

  it('a traffic policy set through one process is served by both', async () => {
    const set = await call(`${url}/v1/models/digits/traffic`, false, 'POST', JSON.stringify({ weights: { 1: 100 } }));
    assert.equal(set.status, 200, set.body);
    // Fresh connections alternate between the processes (the primary hands them out in turn).
    await waitFor(async () => {
      for (let i = 0; i < 6; i++) {
        const r = await call(`${url}/v1/models/digits/traffic`, false);
        const weights = (JSON.parse(r.body ?? '{}') as { weights?: Record<string, number> | null }).weights;
        if (weights?.['1'] !== 100) return false;
      }
      return true;
    }, 'both processes to serve the new policy');
  });

  it('a killed process fails only the requests it held, comes back, and is counted', async () => {
    const workers = childrenOf(child.pid!);
    assert.equal(workers.length, 2, `serving processes: ${workers.join(', ')}`);
    interface Sent {
      readonly beforeRestart: boolean;
      reply?: Reply;
      readonly agent: Agent;
    }
    const sent: Sent[] = [];
    let restarted = false;
    let running = true;
    const loops = 4;
    const loop = async () => {
      while (running) {
        // A fresh connection per request (an agent of its own, destroyed afterwards): the primary hands each out.
        const s: Sent = { beforeRestart: !restarted, agent: new Agent({ keepAlive: false }) };
        sent.push(s);
        s.reply = await call(`${url}/v2/models/digits/infer`, s.agent, 'POST', BODY);
        s.agent.destroy();
      }
    };
    const ok = () => sent.filter((s) => s.reply?.status === 200).length;
    const clients = Array.from({ length: loops }, loop);
    await waitFor(() => ok() >= 20, 'requests before the kill');
    process.kill(workers[0], 'SIGKILL');
    await waitFor(async () => {
      const text = await scrape();
      return (
        metric(text, 'inferd_process_restarts_total') === 1 &&
        metric(text, 'inferd_processes_ready') === 2 &&
        metric(text, 'inferd_canary_leader') === 1 &&
        childrenOf(child.pid!).length === 2
      );
    }, 'the killed process to be started again and ready, with one canary leader');
    restarted = true;
    assert.ok(
      childrenOf(child.pid!).some((pid) => !workers.includes(pid)),
      'a new serving process',
    );
    const okAtRestart = ok();
    await waitFor(() => ok() >= okAtRestart + 20, 'requests after the restart');
    running = false;
    // A connection being handed to the process as it died is left unanswered by node:cluster (its primary waits
    // for an acknowledgment that never comes): one the killed process held. Cut it, then count it as failed.
    for (const s of sent) if (!s.reply && s.beforeRestart) s.agent.destroy();
    await Promise.all(clients);
    const failed = sent.filter((s) => s.reply?.status !== 200);
    // Each client has one request in flight: only those the killed process held can fail.
    assert.ok(
      failed.length <= loops,
      `${failed.length} failed: ${JSON.stringify(failed.slice(0, 5).map((s) => s.reply))}`,
    );
    for (const s of failed) {
      assert.equal(s.reply?.status, undefined, `an answer other than 200: ${JSON.stringify(s.reply)}`);
      assert.ok(s.beforeRestart, `a request sent after the restart failed: ${JSON.stringify(s.reply)}`);
    }
    assert.equal((await call(`${url}/v2/health/ready`, false)).status, 200);
  });

  it('SIGHUP to the primary is passed on and ends nothing', async () => {
    const before = childrenOf(child.pid!);
    child.kill('SIGHUP');
    await waitFor(
      () => logs.filter((l) => l.includes('"signal":"SIGHUP"')).length >= 3,
      'the primary and both processes to log the SIGHUP',
    );
    assert.equal(child.exitCode, null);
    assert.deepEqual(childrenOf(child.pid!).sort(), before.sort());
    assert.equal((await call(`${url}/v2/health/ready`, false)).status, 200);
  });

  it('a start that fails in every process ends the server with exit 1 after a few tries', async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(
        process.execPath,
        [
          CLI_PATH,
          'serve',
          '--processes',
          '2',
          '--model-repository',
          join(stateDir, 'no-such-repository'),
          '--http-port',
          '0',
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      p.stdout.on('data', (c: Buffer) => (out += c.toString()));
      p.stderr.on('data', (c: Buffer) => (out += c.toString()));
      p.on('exit', (code) => resolve({ code, out }));
    });
    assert.equal(r.code, 1, r.out.slice(-2000));
    assert.match(r.out, /failed to start 5 times before any process was ready; stopping/);
    assert.match(r.out, /no-such-repository/);
  });

  it('explicit model control is refused with several processes, saying why and what to use', async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(
        process.execPath,
        [CLI_PATH, 'serve', '--processes', '2', '--model-repository', repository, '--model-control-mode', 'explicit'],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      p.stdout.on('data', (c: Buffer) => (out += c.toString()));
      p.stderr.on('data', (c: Buffer) => (out += c.toString()));
      p.on('exit', (code) => resolve({ code, out }));
    });
    assert.notEqual(r.code, 0);
    assert.match(r.out, /model_control_mode is explicit: a load or unload request would reach only the process/);
  });

  it('SIGTERM to the primary drains both processes with no failed request and exits 0', async () => {
    const replies: Reply[] = [];
    let signalled = false;
    const loop = async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (;;) {
          const r = await call(`${url}/v2/models/digits/infer`, agent, 'POST', BODY);
          // Refused on a new connection once the listener closed: never accepted, not a failure.
          if (signalled && r.error === 'ECONNREFUSED') return;
          replies.push(r);
          if (r.close) return; // the server asked to close: draining
        }
      } finally {
        agent.destroy();
      }
    };
    const clients = Array.from({ length: 4 }, loop);
    await waitFor(() => replies.length >= 20, 'requests before SIGTERM');
    signalled = true;
    child.kill('SIGTERM');
    await Promise.all(clients);
    const code = await Promise.race([
      exited,
      new Promise<string>((r) => setTimeout(() => r('still running'), GIVE_UP_MS).unref()),
    ]);
    assert.equal(code, 0, logs.slice(-30).join('\n'));
    const failed = replies.filter((r) => r.status !== 200);
    assert.deepEqual(failed, [], `${failed.length} of ${replies.length} failed`);
  });
});
