/**
 * Third-party models served as a new user would serve them: the model file in a version folder, no config, no
 * warmup.json (test/fixtures/third-party/, fetched from npm packages). Silero VAD v5 has a scalar INT64 input, a
 * recurrent state and a variable audio length its reflect Pad needs at least 2 of, so the warm-up generated from
 * its signature fails: the version must serve cold, with a warning and a count, and answer exactly what
 * onnxruntime answers. A failing warmup.json, by contrast, keeps the version out.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import ort from 'onnxruntime-node';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { validateModel } from '../../src/preflight/validate-model.js';
import { runCli, shown } from '../cli/cli-helpers.js';
import { connect, rawBytes, rawOutput, type InferResponse } from '../grpc/grpc-client.js';
import {
  errorMessage,
  get,
  inferBody,
  outputNamed,
  postJson,
  ROOT,
  tempRepository,
  type TempRepository,
} from '../helpers/server.js';

const SILERO = 'test/fixtures/third-party/silero_vad_v5.onnx';
const PPOCR_CLS = 'test/fixtures/third-party/ch_ppocr_mobile_v2.0_cls_infer.onnx';

/** Log lines a server writes, parsed. */
class LogCapture extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const l of chunk.toString('utf8').split('\n').filter(Boolean))
      this.lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  }
}

async function start(repository: string, log?: LogCapture): Promise<RunningServer> {
  // Strict readiness: ready only when every version meant to serve is READY.
  const config = resolveServerConfig({
    model_repository: repository,
    http_port: 0,
    host: '127.0.0.1',
    log_level: 'warn',
    strict_readiness: true,
  });
  return startServer(config, createLogger('warn', log ?? new LogCapture()));
}

/** The same session options inferd's ONNX runtime uses, so both compute the same way, to the bit. */
function referenceSession(file: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(join(ROOT, file), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
}

/** Deterministic float32 audio: a tone with a little noise from a fixed linear congruential generator. */
function audio(samples: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: samples }, (_, i) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return Math.fround(0.4 * Math.sin((2 * Math.PI * 220 * i) / 16000) + 0.05 * (s / 2 ** 31 - 0.5));
  });
}

interface Frame {
  readonly input: number[];
  readonly state: number[];
  readonly sr: number;
}

/** One V2 JSON request for a frame: `sr` goes as a rank-0 INT64 tensor, shape []. */
function frameBody(f: Frame) {
  return {
    inputs: [
      { name: 'input', datatype: 'FP32', shape: [1, f.input.length], data: f.input },
      { name: 'state', datatype: 'FP32', shape: [2, 1, 128], data: f.state },
      { name: 'sr', datatype: 'INT64', shape: [], data: [f.sr] },
    ],
  };
}

async function onnxruntimeFrame(
  session: ort.InferenceSession,
  f: Frame,
): Promise<{ output: number[]; stateN: number[]; stateShape: readonly number[] }> {
  const out = await session.run({
    input: new ort.Tensor('float32', Float32Array.from(f.input), [1, f.input.length]),
    state: new ort.Tensor('float32', Float32Array.from(f.state), [2, 1, 128]),
    sr: new ort.Tensor('int64', BigInt64Array.from([BigInt(f.sr)]), []),
  });
  return {
    output: Array.from(out.output.data as Float32Array),
    stateN: Array.from(out.stateN.data as Float32Array),
    stateShape: out.stateN.dims,
  };
}

/**
 * Element by element, the same numbers (===). JSON has no negative zero (JSON.stringify(-0) is "0"), so a -0 that
 * onnxruntime computes arrives as 0; every other float32 value survives the trip exactly.
 */
function assertSameNumbers(actual: readonly unknown[], expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  const first = expected.findIndex((e, i) => actual[i] !== e);
  assert.equal(
    first,
    -1,
    `${what}: element ${first} is ${String(actual[first])}, onnxruntime answered ${expected[first]}`,
  );
}

interface VersionRow {
  version: number;
  state: string;
  warmup_source: string | null;
  cold_runs: number | null;
}

async function versionRows(url: string, model: string): Promise<VersionRow[]> {
  return ((await get(`${url}/v1/models/${model}/traffic`)).json as { versions: VersionRow[] }).versions;
}

async function metricLines(server: RunningServer, name: string): Promise<string[]> {
  const text = (await get(server.metricsUrl!)).text;
  return text.split('\n').filter((l) => l.startsWith(`${name}{`));
}

describe('Silero VAD v5 from a folder with only model.onnx', () => {
  let repo: TempRepository;
  let server: RunningServer;
  let session: ort.InferenceSession;
  const log = new LogCapture();

  before(async () => {
    repo = await tempRepository({ vad: { onnx: SILERO } });
    server = await start(repo.dir, log);
    session = await referenceSession(SILERO);
  });
  after(async () => {
    await server?.close();
    await session?.release();
    await repo?.cleanup();
  });

  test('starts and serves the version, warning that the generated warm-up failed and counting it', async () => {
    const index = (await postJson(`${server.url}/v2/repository/index`, {})).json as Array<{
      name: string;
      state: string;
      reason?: string;
    }>;
    assert.deepEqual(
      index.map((e) => [e.name, e.state]),
      [['vad', 'READY']],
      JSON.stringify(index),
    );
    assert.equal((await get(`${server.url}/v2/health/ready`)).status, 200, 'the server is ready');
    const warning = log.lines.find((l) => l.level === 40 && l.model === 'vad' && l.warmup_source === 'generated');
    assert.ok(warning, `no warm-up warning among ${JSON.stringify(log.lines).slice(0, 2000)}`);
    assert.match(
      String(warning.msg),
      /^model 'vad' version 1: the warm-up request generated from the signature \(zeros: input FP32 \[1, 1\], state FP32 \[2, 1, 128\], sr INT64 \[\]\) failed: .*Pad reflect.*\. The version serves cold .*add \S+\/vad\/1\/warmup\.json with a request the model accepts/,
    );
    assert.doesNotMatch(
      String(warning.msg),
      /fix warmup\.json/,
      'the message must not blame a warmup.json that does not exist',
    );
    assert.deepEqual(await metricLines(server, 'inferd_warmup_failures_total'), [
      'inferd_warmup_failures_total{model="vad",version="1",source="generated"} 1',
    ]);
    const events = (
      (await get(`${server.url}/v1/models/vad/events`)).json as {
        events: Array<{ type: string; evidence: Record<string, unknown> }>;
      }
    ).events;
    const ready = events.find((e) => e.type === 'version_ready');
    assert.equal(ready?.evidence.warmup_source, 'generated');
    assert.match(String(ready?.evidence.warmup_failure), /generated from the signature .* failed/);
    assert.ok(!events.some((e) => e.type === 'version_refused'), JSON.stringify(events));
  });

  test('answers exactly what onnxruntime answers, state included, frame after frame at 16 kHz and at 8 kHz', async () => {
    const frames: Frame[] = [];
    let state = new Array<number>(256).fill(0);
    for (const [i, [samples, sr]] of [
      [512, 16000],
      [512, 16000],
      [256, 8000],
    ].entries()) {
      const frame = { input: audio(samples, i + 1), state, sr };
      const body = inferBody(await postJson(`${server.url}/v2/models/vad/infer`, frameBody(frame)));
      const expected = await onnxruntimeFrame(session, frame);
      const output = outputNamed(body, 'output');
      const stateN = outputNamed(body, 'stateN');
      assert.deepEqual([output.shape, stateN.shape], [[1, 1], [...expected.stateShape]]);
      assertSameNumbers(output.data, expected.output, `frame ${i + 1}: speech probability`);
      assertSameNumbers(stateN.data, expected.stateN, `frame ${i + 1}: next state`);
      frames.push(frame);
      state = stateN.data as number[]; // the recurrent state goes round, as a VAD client sends it
    }
    assert.ok(
      state.some((v) => v !== 0),
      'the state carried across frames is not all zeros',
    );
    const [v1] = await versionRows(server.url, 'vad');
    assert.deepEqual(
      [v1.state, v1.warmup_source, v1.cold_runs],
      ['READY', 'generated', 1],
      'the first request was answered cold',
    );
  });

  test("over gRPC with raw tensors (sr a rank-0 INT64), the answer is onnxruntime's to the bit, negative zeros included", async () => {
    const client = connect(server.grpcUrl!);
    try {
      const frame = { input: audio(512, 7), state: audio(256, 8), sr: 16000 };
      const res = await client.call<InferResponse>('ModelInfer', {
        model_name: 'vad',
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [1, 512] },
          { name: 'state', datatype: 'FP32', shape: [2, 1, 128] },
          { name: 'sr', datatype: 'INT64', shape: [] },
        ],
        raw_input_contents: [
          rawBytes(Float32Array.from(frame.input)),
          rawBytes(Float32Array.from(frame.state)),
          rawBytes(BigInt64Array.from([16000n])),
        ],
      });
      const expected = await session.run({
        input: new ort.Tensor('float32', Float32Array.from(frame.input), [1, 512]),
        state: new ort.Tensor('float32', Float32Array.from(frame.state), [2, 1, 128]),
        sr: new ort.Tensor('int64', BigInt64Array.from([16000n]), []),
      });
      for (const name of ['output', 'stateN']) {
        assert.deepEqual(
          rawOutput(res, name).raw,
          rawBytes(expected[name].data as Float32Array),
          `${name}: the same bytes`,
        );
      }
    } finally {
      client.close();
    }
  });

  test("a frame the model cannot run is answered with onnxruntime's reason, and the version keeps serving", async () => {
    const bad = await postJson(
      `${server.url}/v2/models/vad/infer`,
      frameBody({ input: [0.1], state: new Array<number>(256).fill(0), sr: 16000 }),
    );
    assert.ok(bad.status >= 400, `status ${bad.status}`);
    assert.match(errorMessage(bad), /Pad reflect requires axis length >= 2/);
    const good = await postJson(
      `${server.url}/v2/models/vad/infer`,
      frameBody({ input: audio(512, 9), state: new Array<number>(256).fill(0), sr: 16000 }),
    );
    assert.equal(good.status, 200, good.text.slice(0, 300));
  });
});

describe('Silero VAD v5 with a warmup.json', () => {
  test('a warmup.json with a real frame warms it; a failing one keeps its version out, naming warmup.json', async () => {
    const repo = await tempRepository({
      vad: { onnx: SILERO, versions: [1, 2], config: { file: 'config.yaml', text: 'version_policy: all\n' } },
    });
    const request = (samples: number) =>
      frameBody({ input: audio(samples, 3), state: new Array<number>(256).fill(0), sr: 16000 });
    writeFileSync(join(repo.dir, 'vad', '1', 'warmup.json'), JSON.stringify(request(512)));
    writeFileSync(join(repo.dir, 'vad', '2', 'warmup.json'), JSON.stringify(request(1)));
    const log = new LogCapture();
    const server = await start(repo.dir, log);
    try {
      const [v1, v2] = await versionRows(server.url, 'vad');
      assert.deepEqual([v1.state, v1.warmup_source, v1.cold_runs], ['READY', 'file', 0]);
      assert.equal(v2.state, 'UNAVAILABLE');
      const index = (await postJson(`${server.url}/v2/repository/index`, {})).json as Array<{
        version?: string;
        reason?: string;
      }>;
      assert.match(
        index.find((e) => e.version === '2')?.reason ?? '',
        /^model 'vad' version 2: warm-up request 1 of 1 from vad\/2\/warmup\.json failed: .*Pad reflect.*; fix warmup\.json or the model$/,
      );
      assert.deepEqual(await metricLines(server, 'inferd_warmup_failures_total'), [
        'inferd_warmup_failures_total{model="vad",version="2",source="file"} 1',
      ]);
      assert.ok(!log.lines.some((l) => l.warmup_source === 'generated'), 'no generated warm-up ran');
      assert.equal(inferBody(await postJson(`${server.url}/v2/models/vad/infer`, request(512))).model_version, '1');
    } finally {
      await server.close();
      await repo.cleanup();
    }
  });
});

describe('PP-OCR text-direction classifier (dynamic batch, height and width)', () => {
  test('the generated warm-up runs, and a batch of two images is answered exactly as onnxruntime answers it', async () => {
    const repo = await tempRepository({ cls: { onnx: PPOCR_CLS } });
    const server = await start(repo.dir);
    const session = await referenceSession(PPOCR_CLS);
    try {
      const [v1] = await versionRows(server.url, 'cls');
      assert.deepEqual([v1.state, v1.warmup_source, v1.cold_runs], ['READY', 'generated', 0]);
      assert.deepEqual(await metricLines(server, 'inferd_warmup_failures_total'), []);
      const shape = [2, 3, 48, 192];
      const pixels = Array.from({ length: 2 * 3 * 48 * 192 }, (_, i) => Math.fround(Math.sin(i / 97) * 0.9));
      const body = inferBody(
        await postJson(`${server.url}/v2/models/cls/infer`, {
          inputs: [{ name: 'x', datatype: 'FP32', shape, data: pixels }],
        }),
      );
      const expected = await session.run({ x: new ort.Tensor('float32', Float32Array.from(pixels), shape) });
      const out = outputNamed(body, 'softmax_0.tmp_0');
      assert.deepEqual(out.shape, [2, 2]);
      assertSameNumbers(out.data, Array.from(expected['softmax_0.tmp_0'].data as Float32Array), 'class probabilities');
    } finally {
      await server.close();
      await session.release();
      await repo.cleanup();
    }
  });
});

describe('inferd validate on a model whose generated warm-up fails', () => {
  test('reports the warm-up as a warning, not a failure: the model is valid and would serve cold', async () => {
    const repo = await tempRepository({ vad: { onnx: SILERO } });
    try {
      const report = await validateModel({ dir: join(repo.dir, 'vad') });
      assert.deepEqual(
        report.checks.map((c) => [c.check, c.status]),
        [
          ['config', 'pass'],
          ['versions', 'pass'],
          ['integrity', 'skip'],
          ['load', 'pass'],
          ['warm-up', 'warn'],
          ['reference outputs', 'skip'],
        ],
      );
      assert.equal(report.ok, true);
      assert.match(
        report.checks.find((c) => c.check === 'warm-up')!.detail,
        /generated from the signature .* failed: .*serves cold.*warmup\.json/,
      );
      const cli = await runCli(['validate', join(repo.dir, 'vad')]);
      assert.equal(cli.code, 0, shown(cli));
      assert.match(
        cli.stdout,
        /^ {2}WARN {2}warm-up \(version 1\): model 'vad' version 1: the warm-up request generated from the signature/m,
        shown(cli),
      );
      assert.match(cli.stdout, /model 'vad' is valid/, shown(cli));
    } finally {
      await repo.cleanup();
    }
  });
});
