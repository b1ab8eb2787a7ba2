/**
 * Runs the `inferd` command from its bundle (scripts/build-cli-bundle.js writes it at build time, beside this
 * file): one CommonJS file compiled with V8's code cache, instead of some 400 ES modules each resolved, read,
 * compiled and linked by Node's loader. The cache was produced at build time (by `inferd serve --help`, which loads
 * every module of the server), so nothing is written at run time and a read-only file system changes nothing; a
 * cache V8 rejects (another Node version or V8 flags) only costs the compilation it would have saved.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { recordCodeLoading } from '../lib/startup-phases.js';

/** Where the build writes the bundle, its code cache, and the stamp of the compiled modules it was built from. */
export interface BundleFiles {
  readonly bundle: string;
  readonly cache: string;
  readonly stamp: string;
  /** tsc's build info: rewritten by every `tsc -b` that changes anything, so a bundle older than it is stale. */
  readonly buildInfo: string;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export const BUNDLE_FILES: BundleFiles = {
  bundle: here('./inferd-cli.bundle.cjs'),
  cache: here('./inferd-cli.bundle.cache'),
  stamp: here('./inferd-cli.bundle.json'),
  buildInfo: here('../../tsconfig.tsbuildinfo'),
};

/** What the build records beside the bundle. */
export interface BundleStamp {
  /** The mtime of tsc's build info the bundle was built from; null when the build kept none (the image build). */
  readonly buildInfoMtimeMs: number | null;
}

/** The modification time of `file` in ms, or null when it does not exist. */
export function mtimeOf(file: string): number | null {
  return statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? null;
}

/**
 * True when the bundle was built from the modules compiled now: its stamp names the build info as it is (or there
 * is no build info, as in the container image). A `tsc -b` after the last full build makes it stale.
 */
export function bundleIsCurrent(files: BundleFiles = BUNDLE_FILES): boolean {
  let stamp: BundleStamp;
  try {
    stamp = JSON.parse(readFileSync(files.stamp, 'utf8')) as BundleStamp;
  } catch {
    return false; // no bundle built
  }
  const buildInfo = mtimeOf(files.buildInfo);
  return buildInfo === null || buildInfo === stamp.buildInfoMtimeMs;
}

function readOptional(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

type CommonJsWrapper = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
) => void;

/**
 * Runs the bundle when it is current, and returns true; false when there is none to run (the caller then imports
 * the command's modules). With `writeCodeCache` (the build's training run) the code cache is written when the
 * process exits, holding every function compiled by then.
 */
export function runCliBundle(options: { files?: BundleFiles; writeCodeCache?: boolean } = {}): boolean {
  const files = options.files ?? BUNDLE_FILES;
  if (!bundleIsCurrent(files)) return false;
  const source = readFileSync(files.bundle, 'utf8').replace(/^#!.*/, '');
  const cachedData = options.writeCodeCache ? undefined : readOptional(files.cache);
  // ES modules are strict; the bundle keeps them so. The wrapper stays on the first line: line numbers hold.
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {"use strict";${source}\n})`,
    {
      filename: files.bundle,
      cachedData,
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    },
  );
  recordCodeLoading({
    from: 'bundle',
    codeCache: cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted',
  });
  if (options.writeCodeCache) process.once('exit', () => writeFileSync(files.cache, script.createCachedData()));
  const run = script.runInThisContext() as CommonJsWrapper;
  const module = { exports: {} };
  run.call(module.exports, module.exports, createRequire(files.bundle), module, files.bundle, dirname(files.bundle));
  return true;
}
