/**
 * The layering is one list (eslint/layers.js): ARCHITECTURE.md's "may import" column agrees with it, and the lint
 * rule built on it refuses what the list does not allow (run on code written here, as ESLint runs it).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { Linter, type Rule } from 'eslint';
import tseslint from 'typescript-eslint';
import { ROOT } from '../helpers/server.js';

interface LayerDoc {
  writeLayerTable(markdown: string, exists: (unit: string) => boolean): { text: string; problems: string[] };
}
interface LayerRule {
  layersPlugin: { rules: Record<string, Rule.RuleModule> };
}

const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(join(ROOT, 'eslint', file)).href)) as T;
const { writeLayerTable } = await load<LayerDoc>('layers-doc.js');
const { layersPlugin } = await load<LayerRule>('import-layers.js');

const ARCHITECTURE = readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8');
const onDisk = (unit: string) => existsSync(join(ROOT, 'src', unit));

describe('ARCHITECTURE.md and eslint/layers.js', () => {
  it('the "may import" column is the one npm run docs:layers writes', () => {
    const { text, problems } = writeLayerTable(ARCHITECTURE, onDisk);
    assert.deepEqual(problems, []);
    assert.equal(text, ARCHITECTURE, 'ARCHITECTURE.md disagrees with eslint/layers.js: run npm run docs:layers');
  });

  it('a hand-edited cell is found, and rewritten', () => {
    const edited = ARCHITECTURE.replace(/^(\| `transport\/http\/` \|.*\| )[^|]*\|$/m, '$1`routing`, `quality` |');
    assert.notEqual(edited, ARCHITECTURE);
    assert.equal(writeLayerTable(edited, onDisk).text, ARCHITECTURE);
  });

  it('a folder with a layer but no row, and a row with no layer, are problems a person settles', () => {
    const withoutControl = ARCHITECTURE.replace(/^\| `control\/` \|.*\n/m, '');
    assert.match(writeLayerTable(withoutControl, onDisk).problems.join('\n'), /src\/control is in eslint\/layers\.js but has no row/);
    // A folder listed ahead of time (another branch adds it) needs no row until it exists.
    assert.doesNotMatch(writeLayerTable(withoutControl, (u) => u !== 'control' && onDisk(u)).problems.join('\n'), /control/);
    const extra = ARCHITECTURE.replace('| `control/` |', '| `attic/` | old things | x |\n| `control/` |');
    assert.match(writeLayerTable(extra, onDisk).problems.join('\n'), /row for 'attic' but eslint\/layers\.js has no entry/);
  });
});

describe('the layers/allowed-imports lint rule', () => {
  const linter = new Linter();
  const lint = (file: string, code: string) =>
    linter
      .verify(
        code,
        [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { layers: layersPlugin }, rules: { 'layers/allowed-imports': 'error' } }],
        { filename: join(ROOT, 'src', file) },
      )
      .map((m) => m.message);

  it('lets a door import the control plane, the data plane and its own folder', () => {
    const code = [
      "import type { ControlPlane } from '../../control/control-plane.js';",
      "import type { InferenceService } from '../../inference/inference-service.js';",
      "import { sendJson } from './status.js';",
      "import fastify from 'fastify';",
      'export type { ControlPlane, InferenceService };',
      'export { sendJson, fastify };',
    ].join('\n');
    assert.deepEqual(lint('transport/http/some-routes.ts', code), []);
  });

  it('refuses a door reaching into a domain folder, naming what it may import', () => {
    const messages = lint('transport/http/some-routes.ts', "import type { TrafficManager } from '../../routing/traffic-manager.js';\nexport type { TrafficManager };");
    assert.equal(messages.length, 1);
    assert.match(messages[0], /src\/transport\/http\/ may not import src\/routing\/.*It may import: transport, control, inference/);
    assert.equal(lint('transport/grpc/x.ts', "export { HTTP_STATUS } from '../http/status.js';").length, 1, 'gRPC may not import the HTTP door');
  });

  it('holds type-only allowances to types, and pure files to no node:* and no telemetry', () => {
    assert.deepEqual(lint('routing/x.ts', "import type { ServingVersion } from '../registry/serving-version.js';\nexport type { ServingVersion };"), []);
    assert.match(lint('routing/x.ts', "export { loadVersion } from '../registry/load-version.js';").join(), /only types from src\/registry\//);
    assert.match(lint('routing/verdict.ts', "import { readFileSync } from 'node:fs';\nexport { readFileSync };").join(), /is pure/);
    assert.match(lint('routing/verdict.ts', "export type { Logger } from '../telemetry/logger.js';").join(), /is pure: it imports no src\/telemetry\//);
    assert.deepEqual(lint('routing/verdict.test.ts', "import { test } from 'node:test';\nexport { test };"), [], 'tests may use node:*');
  });

  it('names a folder that has no entry, whether it imports or is imported', () => {
    assert.match(lint('attic/old.ts', 'export const x = 1;').join(), /src\/attic\/ has no entry in eslint\/layers\.js: add one/);
    assert.match(lint('control/x.ts', "export { x } from '../attic/old.js';").join(), /may not import src\/attic\/ \(src\/attic\/ has no entry in eslint\/layers\.js yet\)/);
  });
});
