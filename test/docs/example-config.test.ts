/**
 * examples/inferd.yaml is the commented server config a user starts from. It must stay true: its values are the
 * defaults (it resolves to the same config as no file at all), its commented-out keys are valid once uncommented,
 * and it names every key of the server config schema, each with a comment.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { resolveServerConfig, serverConfigSchema } from '../../src/config/server-config.js';

const EXAMPLE = readFileSync(new URL('../../../examples/inferd.yaml', import.meta.url), 'utf8');
/** A commented-out key: `# key: value` at the key's indentation (`#   key:` inside a commented-out block). */
const COMMENTED_KEY = /^(\s*)# ?(\s*[a-z_]+:.*)$/;

function uncommented(text: string): string {
  return text.split('\n').map((line) => line.replace(COMMENTED_KEY, '$1$2')).join('\n');
}

/** The dotted paths of every key the schema accepts (objects recursed into; arrays and maps are values). */
function schemaKeys(schema: z.core.$ZodType, prefix = ''): string[] {
  const def = schema._zod.def as { type: string; innerType?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType> };
  if (def.innerType) return schemaKeys(def.innerType, prefix);
  if (def.type !== 'object' || !def.shape) return prefix ? [prefix] : [];
  const own = prefix ? [prefix] : [];
  return [...own, ...Object.entries(def.shape).flatMap(([k, s]) => schemaKeys(s, prefix ? `${prefix}.${k}` : k))];
}

/** The dotted paths of a parsed YAML document's keys (objects recursed into). */
function documentKeys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  const own = prefix ? [prefix] : [];
  return [...own, ...Object.entries(value).flatMap(([k, v]) => documentKeys(v, prefix ? `${prefix}.${k}` : k))];
}

test('examples/inferd.yaml sets every key to its default: it resolves to the config of no file', () => {
  const parsed = parseYaml(EXAMPLE) as Record<string, unknown>;
  assert.deepEqual(resolveServerConfig(parsed), resolveServerConfig({}));
});

test('its commented-out keys are valid server config once uncommented', () => {
  const result = serverConfigSchema.safeParse(parseYaml(uncommented(EXAMPLE)));
  assert.ok(result.success, result.error?.message);
});

test('it names every key of the server config schema, and only those', () => {
  const named = new Set(documentKeys(parseYaml(uncommented(EXAMPLE))));
  const keys = schemaKeys(serverConfigSchema);
  assert.ok(keys.length > 50, `the schema walk found the keys (${keys.length})`);
  const missing = keys.filter((k) => !named.has(k));
  assert.deepEqual(missing, [], `add these keys to examples/inferd.yaml with their default and a comment: ${missing.join(', ')}`);
  // A map's entries (auth.model_limits.<model>) are values of a schema key, not keys of their own.
  const extra = [...named].filter((k) => !keys.includes(k) && !keys.some((key) => k.startsWith(`${key}.`)));
  assert.deepEqual(extra, [], `examples/inferd.yaml names keys the schema does not have: ${extra.join(', ')}`);
});

test('every key in it has a one-line comment', () => {
  const bare = uncommented(EXAMPLE).split('\n').filter((l) => /^\s*[a-z_]+:/.test(l) && !/\s#\s/.test(l));
  assert.deepEqual(bare, [], 'each key line ends with a # comment');
});
