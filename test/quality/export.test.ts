/**
 * `inferd export` over a real prediction log (SQLite, and the machine's PostgreSQL in a schema of its own):
 * predictions answered by a started server, some labelled through POST /v1/feedback, are written back as JSONL and
 * CSV, every row, value and label exactly as sent and answered, with --labeled keeping only what has a label.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { RunningServer } from '../../src/index.js';
import type { AuditConfigFile } from '../../src/config/audit-config.js';
import { CLI_PATH, get, postJson, type JsonInferResponse, type TempRepository } from '../helpers/server.js';
import { PG_URL, testPostgres } from '../audit/postgres.js';
import { CANCER, DIABETES, infer, qualityRepository, startQualityServer } from './feedback-helpers.js';

const run = promisify(execFile);

interface ExportLine {
  request_id: string;
  time: string;
  model: string;
  version: string;
  inputs: Array<{ name: string; datatype: string; shape: number[]; data: number[] }>;
  outputs: Array<{ name: string; datatype: string; shape: number[]; data: number[] }>;
  labels: Array<{ row: number; label?: number; value?: number; time: string }>;
}

function exportSuite(store: string, audit: () => AuditConfigFile, cleanup: () => Promise<void>): void {
  describe(`inferd export (${store})`, () => {
    let repo: TempRepository;
    let server: RunningServer;
    let configFile: string;
    const sent = new Map<string, { rows: number[][]; answer: JsonInferResponse; time?: string }>();
    const tag = `ex-${store}`;

    before(async () => {
      repo = await qualityRepository();
      server = await startQualityServer(repo.dir, audit());
      const requests: Array<[string, string, number[][]]> = [
        [`${tag}-0`, 'cancer', [CANCER.inputs[0]]],
        [`${tag}-1`, 'cancer', [CANCER.inputs[1]]],
        [`${tag}-2`, 'cancer', [CANCER.inputs[2]]],
        [`${tag}-b`, 'cancer', [CANCER.inputs[3], CANCER.inputs[4]]],
        [`${tag}-r0`, 'diabetes', [DIABETES.inputs[0] as number[]]],
        [`${tag}-r1`, 'diabetes', [DIABETES.inputs[1] as number[]]],
      ];
      for (const [id, model, rows] of requests)
        sent.set(id, { rows, answer: await infer(server.url, model, id, rows) });
      const fb = await postJson(`${server.url}/v1/feedback`, {
        feedback: [
          { id: `${tag}-0`, label: 1 },
          { id: `${tag}-b`, row: 1, label: 0 },
          { id: `${tag}-r1`, value: 140.5 },
        ],
      });
      assert.equal((fb.json as { accepted: number }).accepted, 3, fb.text);
      const logged = (await get(`${server.url}/v1/predictions?limit=100`)).json as {
        predictions: Array<{ request_id: string; time: string }>;
      };
      for (const p of logged.predictions) {
        const s = sent.get(p.request_id);
        if (s) s.time = p.time;
      }
      configFile = join(repo.dir, 'inferd.yaml');
      writeFileSync(configFile, JSON.stringify({ model_repository: repo.dir, audit: { enabled: true, ...audit() } }));
    });
    after(async () => {
      await server?.close();
      await repo?.cleanup();
      await cleanup();
    });

    const exportOf = async (...args: string[]) =>
      run(process.execPath, [CLI_PATH, 'export', '--config', configFile, '--since', '1h', ...args], {
        timeout: 60_000,
      });
    const jsonl = async (...args: string[]) =>
      (await exportOf(...args)).stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as ExportLine);

    it('jsonl: every prediction of the model, oldest first, inputs and outputs as answered, labels by row', async () => {
      const lines = await jsonl('--model', 'cancer');
      assert.deepEqual(
        lines.map((l) => l.request_id),
        [`${tag}-0`, `${tag}-1`, `${tag}-2`, `${tag}-b`],
      );
      for (const l of lines) {
        const s = sent.get(l.request_id)!;
        assert.deepEqual([l.model, l.version, l.time], ['cancer', '1', s.time]);
        assert.deepEqual(l.inputs, [
          { name: 'input', datatype: 'FP32', shape: [s.rows.length, 30], data: s.rows.flat().map(Math.fround) },
        ]);
        assert.deepEqual(
          l.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape, data: o.data })),
          s.answer.outputs,
        );
      }
      assert.deepEqual(
        lines.map((l) => l.labels.map(({ time: _t, ...rest }) => rest)),
        [[{ row: 0, label: 1 }], [], [], [{ row: 1, label: 0 }]],
      );
    });

    it('jsonl --labeled: only predictions with a label; regression labels are values', async () => {
      assert.deepEqual(
        (await jsonl('--model', 'cancer', '--labeled')).map((l) => l.request_id),
        [`${tag}-0`, `${tag}-b`],
      );
      const diabetes = await jsonl('--model', 'diabetes', '--labeled');
      assert.deepEqual(
        diabetes.map((l) => [l.request_id, l.labels.map((x) => [x.row, x.value])]),
        [[`${tag}-r1`, [[0, 140.5]]]],
      );
    });

    it('csv: a line per row, a column per value, label and value last; --labeled keeps labelled rows', async () => {
      const out = join(repo.dir, 'cancer.csv');
      const { stderr } = await exportOf('--model', 'cancer', '--format', 'csv', '--out', out);
      assert.match(stderr, /exported 4 cancer predictions \(2 with labels\)/);
      const [header, ...rows] = readFileSync(out, 'utf8').trimEnd().split('\n');
      const inputCols = Array.from({ length: 30 }, (_, i) => `input.input.${i}`);
      assert.equal(
        header,
        [
          'request_id',
          'row',
          'time',
          'model',
          'version',
          ...inputCols,
          'output.probabilities.0',
          'output.probabilities.1',
          'output.label',
          'label',
          'value',
        ].join(','),
      );
      const expected = (id: string, row: number, label: string) => {
        const s = sent.get(id)!;
        const probs = s.answer.outputs.find((o) => o.name === 'probabilities')!.data as number[];
        const decided = s.answer.outputs.find((o) => o.name === 'label')!.data as number[];
        return [
          id,
          row,
          s.time,
          'cancer',
          '1',
          ...s.rows[row].map(Math.fround),
          probs[row * 2],
          probs[row * 2 + 1],
          decided[row],
          label,
          '',
        ].join(',');
      };
      assert.deepEqual(rows, [
        expected(`${tag}-0`, 0, '1'),
        expected(`${tag}-1`, 0, ''),
        expected(`${tag}-2`, 0, ''),
        expected(`${tag}-b`, 0, ''),
        expected(`${tag}-b`, 1, '0'),
      ]);
      const labeled = (await exportOf('--model', 'cancer', '--format', 'csv', '--labeled')).stdout
        .trimEnd()
        .split('\n');
      assert.deepEqual(labeled.slice(1), [expected(`${tag}-0`, 0, '1'), expected(`${tag}-b`, 1, '0')]);
    });

    it('refuses an unknown format with a message', async () => {
      await assert.rejects(exportOf('--model', 'cancer', '--format', 'parquet'), (err: { stderr: string }) =>
        /--format must be jsonl or csv/.test(err.stderr),
      );
    });
  });
}

const sqlite = await qualityRepository();
const pg = await testPostgres();

// The two stores' suites share nothing (a server, a repository and a log each): they run side by side, most of
// their time being spent waiting on the CLI processes they start.
describe('inferd export', { concurrency: 2 }, () => {
  exportSuite(
    'sqlite',
    () => ({ store: 'sqlite', path: join(sqlite.dir, 'audit.db') }),
    () => sqlite.cleanup(),
  );
  if (typeof pg === 'string') {
    describe('inferd export (postgres)', { skip: pg }, () => undefined);
  } else {
    const schema = pg.schema('_export');
    exportSuite(
      'postgres',
      () => ({ store: 'postgres', url: PG_URL, postgres_schema: schema }),
      () => pg.cleanup(),
    );
  }
});
