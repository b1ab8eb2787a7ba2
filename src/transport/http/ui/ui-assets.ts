/**
 * The dashboard's files: its own (the top-level ui/ folder, shipped beside dist/) and the libraries it uses,
 * vendored from node_modules as their packages publish them (no build step). Read on first request and kept,
 * with their gzip, in memory: the page never asks another origin for anything (it must work air-gapped).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface Asset {
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly type: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.png': 'image/png',
};

/** The ui/ folder: beside dist/ when built (dist/src/transport/http/ui → ../../../../../ui), or in the source tree. */
function findUiDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../../../../ui'), resolve(here, '../../../../ui')];
  const found = candidates.find((dir) => existsSync(join(dir, 'app', 'app.js')));
  if (!found)
    throw new Error(`cannot find the dashboard's files (ui/app/app.js); looked in ${candidates.join(' and ')}`);
  return found;
}

/** Where node_modules is: the folder holding preact's package. */
function nodeModulesDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(dirname(require.resolve('preact/package.json')));
}

/** The vendored libraries: the name the page asks for → the file in node_modules. */
export const VENDOR_FILES: Readonly<Record<string, string>> = {
  'preact.mjs': 'preact/dist/preact.mjs',
  'hooks.mjs': 'preact/hooks/dist/hooks.mjs',
  'htm.mjs': 'htm/dist/htm.mjs',
  'signals.mjs': '@preact/signals/dist/signals.mjs',
  'signals-core.mjs': '@preact/signals-core/dist/signals-core.mjs',
  'uPlot.iife.min.js': 'uplot/dist/uPlot.iife.min.js',
  'uPlot.min.css': 'uplot/dist/uPlot.min.css',
};

/** The page's own files under ui/app/ (a fixed list: nothing else in the folder is served). */
export const APP_FILES = [
  'app.js',
  'api.js',
  'charts.js',
  'executive.js',
  'oncall.js',
  'debug.js',
  'actions.js',
  'try-model.js',
  'figures.js',
  'history.js',
  'html.js',
  'style.css',
] as const;

function typeOf(file: string): string {
  return TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream';
}

function load(path: string): Asset {
  const body = readFileSync(path);
  return { body, gzip: gzipSync(body, { level: 9 }), type: typeOf(path) };
}

/** The dashboard's files, read once each. */
export class UiAssets {
  private readonly cache = new Map<string, Asset>();
  private uiDir: string | undefined;
  private modulesDir: string | undefined;

  /** A vendored library by its served name, or undefined. */
  vendor(name: string): Asset | undefined {
    const file = VENDOR_FILES[name];
    if (!file) return undefined;
    return this.cached(`vendor/${name}`, () => join((this.modulesDir ??= nodeModulesDir()), file));
  }

  /** One of the page's own files, or undefined. */
  app(name: string): Asset | undefined {
    if (!(APP_FILES as readonly string[]).includes(name)) return undefined;
    return this.cached(`app/${name}`, () => join((this.uiDir ??= findUiDir()), 'app', name));
  }

  private cached(key: string, path: () => string): Asset {
    let asset = this.cache.get(key);
    if (!asset) this.cache.set(key, (asset = load(path())));
    return asset;
  }
}
