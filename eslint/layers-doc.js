// ARCHITECTURE.md's layer table, "may import" column, written from layers.js. The table sits between the markers
// below; each row's first cell names a unit (`routing/`, `transport/http/`, `main.ts`), its last cell is generated,
// the cells between are prose and stay as written.
import { LAYERS } from './layers.js';

export const BEGIN =
  '<!-- layers:begin (the "may import" column is written by npm run docs:layers from eslint/layers.js) -->';
export const END = '<!-- layers:end -->';

const code = (text) => `\`${text}\``;

/** The "may import" cell of a layer. */
export function mayImportCell(layer) {
  if (layer.may === '*') return 'anything';
  const parts = [
    layer.may.length
      ? layer.may.map((a) => (typeof a === 'string' ? code(a) : `${code(a.unit)} types`)).join(', ')
      : `nothing in ${code('src/')}`,
  ];
  if (layer.node === false) parts.push(`no ${code('node:*')}`);
  if (layer.pure) {
    const files = layer.pure.files.map((f) => code(`${f}.ts`)).join(', ');
    parts.push(`its pure files (${files}) import no ${[code('node:*'), ...layer.pure.without.map(code)].join(', ')}`);
  }
  return parts.join('; ');
}

/** The unit a row's first cell names, e.g. '`transport/http/`' → 'transport/http', '`main.ts`' → 'main.ts'. */
export function unitOfCell(cell) {
  return cell.trim().replace(/^`|`$/g, '').replace(/\/$/, '');
}

/**
 * The document with every row's "may import" cell written from layers.js, and the problems that need a person:
 * a row no layer describes, or a layer whose folder exists (`exists(unit)`) without a row saying what it holds.
 */
export function writeLayerTable(markdown, exists) {
  const problems = [];
  const begin = markdown.indexOf(BEGIN);
  const end = markdown.indexOf(END);
  if (begin < 0 || end < begin) {
    return { text: markdown, problems: [`ARCHITECTURE.md has no layer table between the markers ${BEGIN} and ${END}`] };
  }
  const byUnit = new Map(LAYERS.map((l) => [l.unit, l]));
  const seen = new Set();
  const lines = markdown.slice(begin + BEGIN.length, end).split('\n');
  let tableLines = 0;
  const rows = lines.map((line) => {
    if (line.startsWith('|')) tableLines++;
    // The header and the separator (the first two table lines) are kept as they are.
    if (!line.startsWith('| ') || tableLines <= 2) return line;
    const first = line.indexOf(' | ');
    const last = line.lastIndexOf(' | ');
    const unit = unitOfCell(line.slice(2, first));
    const layer = byUnit.get(unit);
    if (!layer) {
      problems.push(
        `ARCHITECTURE.md's layer table has a row for '${unit}' but eslint/layers.js has no entry for it: add one`,
      );
      return line;
    }
    seen.add(unit);
    return `${line.slice(0, last)} | ${mayImportCell(layer)} |`;
  });
  for (const layer of LAYERS) {
    if (!seen.has(layer.unit) && exists(layer.unit)) {
      problems.push(
        `src/${layer.unit} is in eslint/layers.js but has no row in ARCHITECTURE.md's layer table: add one saying what it holds`,
      );
    }
  }
  const text = markdown.slice(0, begin + BEGIN.length) + rows.join('\n') + markdown.slice(end);
  return { text, problems };
}
