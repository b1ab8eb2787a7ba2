// The lint rule `layers/allowed-imports`: every import between parts of src/ must be on the importing part's
// allow-list in layers.js. Relative imports are resolved to the file they name, so the check is by where a file
// is, not by how its path is spelled.
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAYERS } from './layers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
const BY_UNIT = new Map(LAYERS.map((l) => [l.unit, l]));
/** Sub-folders listed on their own, longest first (transport/http before transport). */
const SUB_UNITS = LAYERS.map((l) => l.unit)
  .filter((u) => u.includes('/'))
  .sort((a, b) => b.length - a.length);
const BUILTINS = new Set(builtinModules);

/** The unit of a path relative to src/ (forward slashes): a listed sub-folder, a top folder, or a root file. */
export function unitOf(relative) {
  const sub = SUB_UNITS.find((u) => relative.startsWith(`${u}/`));
  if (sub) return sub;
  const slash = relative.indexOf('/');
  return slash >= 0 ? relative.slice(0, slash) : relative.replace(/\.(js|ts)$/, '.ts');
}

/** How a unit is named in messages: `src/routing/` or `src/main.ts`. */
export function unitLabel(unit) {
  return unit.endsWith('.ts') ? `src/${unit}` : `src/${unit}/`;
}

function allowedList(layer) {
  if (layer.may === '*') return 'anything';
  if (!layer.may.length) return 'nothing in src/';
  return layer.may.map((a) => (typeof a === 'string' ? a : `${a.unit} (types only)`)).join(', ');
}

function isTypeOnly(node) {
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  if (node.type === 'TSImportType') return true;
  const specifiers = node.specifiers ?? [];
  return specifiers.length > 0 && specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type');
}

function sourceOf(node) {
  if (node.type === 'TSImportType') {
    const arg = node.argument;
    const literal = arg?.type === 'TSLiteralType' ? arg.literal : arg;
    return typeof literal?.value === 'string' ? literal.value : undefined;
  }
  return typeof node.source?.value === 'string' ? node.source.value : undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
export const allowedImports = {
  meta: {
    type: 'problem',
    docs: { description: 'each part of src/ imports only what eslint/layers.js allows it' },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const relative = path.relative(SRC, file).split(path.sep).join('/');
    if (relative.startsWith('..') || path.isAbsolute(relative)) return {};
    const from = unitOf(relative);
    const layer = BY_UNIT.get(from);
    const test = /\.test\.ts$/.test(file);
    if (!layer) {
      return {
        Program(node) {
          context.report({
            node,
            message: `${unitLabel(from)} has no entry in eslint/layers.js: add one listing what it may import (and its row in ARCHITECTURE.md's layer table, then npm run docs:layers)`,
          });
        },
      };
    }
    const pure = !test && layer.pure?.files.some((f) => relative === `${from}/${f}.ts`);
    const why = ` (${unitLabel(from)}: ${layer.why})`;

    function check(node) {
      const spec = sourceOf(node);
      if (spec === undefined) return;
      if (spec.startsWith('node:') || BUILTINS.has(spec)) {
        if (test) return;
        if (pure)
          context.report({
            node,
            message: `${relative} is pure: it imports no node:* module ('${spec}'); pass what it needs in`,
          });
        else if (layer.node === false)
          context.report({ node, message: `${unitLabel(from)} imports no node:* module ('${spec}')${why}` });
        return;
      }
      if (!spec.startsWith('.')) return; // a package: not this rule's concern
      const target = path
        .relative(SRC, path.resolve(path.dirname(file), spec))
        .split(path.sep)
        .join('/');
      if (target.startsWith('..')) return; // outside src/ (test helpers)
      const to = unitOf(target);
      if (to === from || layer.may === '*') return;
      const allowed = layer.may.find((a) => (typeof a === 'string' ? a : a.unit) === to);
      if (!allowed) {
        const unlisted = BY_UNIT.has(to) ? '' : ` (${unitLabel(to)} has no entry in eslint/layers.js yet)`;
        context.report({
          node,
          message: `${unitLabel(from)} may not import ${unitLabel(to)}${unlisted}${why}. It may import: ${allowedList(layer)}. Change eslint/layers.js only if the layering itself should change.`,
        });
        return;
      }
      if (typeof allowed !== 'string' && !isTypeOnly(node)) {
        context.report({
          node,
          message: `${unitLabel(from)} may import only types from ${unitLabel(to)}: use \`import type\``,
        });
        return;
      }
      if (pure && layer.pure.without.includes(to)) {
        context.report({
          node,
          message: `${relative} is pure: it imports no ${unitLabel(to)} (nor node:*); pass what it needs in`,
        });
      }
    }

    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
      TSImportType: check,
    };
  },
};

export const layersPlugin = { rules: { 'allowed-imports': allowedImports } };
