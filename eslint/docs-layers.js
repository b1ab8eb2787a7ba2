// npm run docs:layers: writes ARCHITECTURE.md's "may import" column from eslint/layers.js. Exits 1, saying what
// to do, when a row and the layers disagree in a way only a person can settle (a row without a layer, a folder
// without a row).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { writeLayerTable } from './layers-doc.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = path.join(root, 'ARCHITECTURE.md');
const before = readFileSync(file, 'utf8');
const { text, problems } = writeLayerTable(before, (unit) => existsSync(path.join(root, 'src', unit)));
if (text !== before) writeFileSync(file, text);
process.stdout.write(
  `ARCHITECTURE.md: ${text === before ? 'the layer table already agrees with eslint/layers.js' : 'layer table rewritten from eslint/layers.js'}\n`,
);
for (const p of problems) process.stderr.write(`${p}\n`);
process.exitCode = problems.length ? 1 : 0;
