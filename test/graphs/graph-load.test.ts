/**
 * Graphs at load, in a repository built for the test: a graph over a graph loads after it (and answers as the
 * inner graph does), and graphs whose config cannot run are refused with the reason in the repository index while
 * everything else serves.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { tempDir } from '../audit/audit-helpers.js';
import { assertClose, inferBody, outputNamed, postJson, readJsonFixture, startTestServer } from '../helpers/server.js';

const { rows } = readJsonFixture<{ rows: number[][] }>('test/fixtures/graphs/rows.json');
const FIXTURE = 'test/fixtures/graphs/repo';

const step = (name: string, model: string, input: string, from: string, output: string, to: string) =>
  `    - step: ${name}\n      model: ${model}\n      inputs: { ${input}: ${from} }\n      outputs: { ${output}: ${to} }\n`;
const graph = (nodes: string, outputs: string) => `graph:\n  nodes:\n${nodes}  outputs: [${outputs}]\n`;

const GRAPHS: Record<string, string> = {
  // Named to sort before its member: loading waves, not names, decide the order.
  a_nested: graph(step('inner', 'bc_chain', 'raw', 'raw', 'probabilities', 'p'), 'p'),
  bad_unknown: graph(step('x', 'no_such_model', 'features', 'raw', 'probabilities', 'p'), 'p'),
  bad_cycle: graph(
    step('a', 'logreg', 'features', 'u', 'probabilities', 't') +
      step('b', 'logreg', 'features', 't', 'probabilities', 'u'),
    'u',
  ),
  bad_shape: graph(
    step('a', 'logreg', 'features', 'raw', 'probabilities', 'p') +
      step('b', 'logreg', 'features', 'p', 'probabilities', 'q'),
    'q',
  ),
};

interface IndexRow {
  name: string;
  state: string;
  reason?: string;
}

describe('graphs at load', () => {
  let server: RunningServer;
  const tmp = tempDir('inferd-graph-load-');

  before(async () => {
    for (const model of ['scaler', 'logreg', 'bc_chain'])
      await cp(join(FIXTURE, model), join(tmp.dir, model), { recursive: true });
    for (const [name, text] of Object.entries(GRAPHS)) {
      await mkdir(join(tmp.dir, name, '1'), { recursive: true });
      await writeFile(join(tmp.dir, name, 'config.yaml'), text);
    }
    server = await startTestServer({ repository: tmp.dir });
  });
  after(async () => {
    await server?.close();
    tmp.cleanup();
  });

  it('a graph over a graph loads after it and answers as it does', async () => {
    const ask = async (model: string, out: string) =>
      outputNamed(
        inferBody(
          await postJson(`${server.url}/v2/models/${model}/infer`, {
            inputs: [{ name: 'raw', datatype: 'FP32', shape: [rows.length, 30], data: rows.flat() }],
          }),
        ),
        out,
      ).data as number[];
    assertClose(await ask('a_nested', 'p'), await ask('bc_chain', 'probabilities'), 1e-6, 'nested graph');
  });

  it('refuses graphs that cannot run, saying why, and serves the rest', async () => {
    const index = (await postJson(`${server.url}/v2/repository/index`, {})).json as IndexRow[];
    const reason = (name: string) => {
      const row = index.find((r) => r.name === name);
      assert.equal(row?.state, 'UNAVAILABLE', `${name}: ${JSON.stringify(row)}`);
      return row.reason ?? '';
    };
    assert.match(reason('bad_unknown'), /node 'x' calls model 'no_such_model'/);
    assert.match(reason('bad_cycle'), /the graph has a cycle through 'a', 'b'/);
    assert.match(
      reason('bad_shape'),
      /node 'b': input 'features' of model 'logreg' has dims \[30\] but tensor 'p' has \[2\]/,
    );
    assert.ok(
      ['scaler', 'logreg', 'bc_chain', 'a_nested'].every((m) => index.find((r) => r.name === m)?.state === 'READY'),
    );
  });
});
