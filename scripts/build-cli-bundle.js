/**
 * The second half of `npm run build` (after `tsc -b`): writes the `inferd` command as one CommonJS bundle beside
 * its compiled modules, with a V8 code cache, so a new replica starts without Node's module loader resolving,
 * reading, compiling and linking several hundred files (src/cli/cli-bundle.ts runs it).
 *
 *   node scripts/build-cli-bundle.js [--dist dist/src] [--clean]
 *
 * - Entry: dist/src/cli/inferd-cli.js, with the pure-JavaScript packages it imports. Native addons
 *   (onnxruntime-node, better-sqlite3) and the clients loaded only when configured (pg, ioredis, the OpenTelemetry
 *   SDK and exporter) stay external: required from node_modules when, and only if, they are used.
 * - Worker threads and files found beside a module (`new URL('./x.js', import.meta.url)`) keep working: each
 *   module's `import.meta.url` becomes the URL of its compiled file in dist, so a worker entry still loads from there.
 * - Code cache: `inferd serve --help` runs through the bundle (it loads every module the server has) and the cache
 *   is written as it exits. Nothing is written when inferd runs. If that run fails the bundle is broken: the build
 *   fails and no stamp is left, so the command would run its modules.
 * - A stamp records tsc's build info as the bundle saw it: a later `tsc -b` makes the bundle stale and the command
 *   runs its modules instead, until the next `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { dist: { type: 'string', default: 'dist/src' }, clean: { type: 'boolean', default: false } },
});
const DIST = resolve(ROOT, values.dist);
const CLI_DIR = join(DIST, 'cli');
const OUT = join(CLI_DIR, 'inferd-cli.bundle.cjs');
const CACHE = join(CLI_DIR, 'inferd-cli.bundle.cache');
const STAMP = join(CLI_DIR, 'inferd-cli.bundle.json');
const BUILD_INFO = resolve(DIST, '..', 'tsconfig.tsbuildinfo');

/** Left to node_modules: native addons, and what loads only when configured (and is large). */
const EXTERNAL = [
  'onnxruntime-node',
  'better-sqlite3',
  'pg',
  'pg-*',
  'ioredis',
  '@opentelemetry/sdk-trace',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/resources',
];

/** Each compiled module's `import.meta.url`, as the URL of that module's file beside the bundle. */
const moduleUrls = {
  name: 'module-urls',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(DIST)) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
      const path = JSON.stringify(relative(CLI_DIR, args.path));
      return { contents: text.replaceAll('import.meta.url', `__inferdModuleUrl(${path})`), loader: 'js' };
    });
  },
};

const mtimeMs = (file) =>
  stat(file).then(
    (s) => s.mtimeMs,
    () => null,
  );

await rm(STAMP, { force: true }); // stale until written again
await rm(CACHE, { force: true });
if (values.clean) {
  await rm(OUT, { force: true });
  process.exit(0);
}
await build({
  entryPoints: [join(CLI_DIR, 'inferd-cli.js')],
  outfile: OUT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: EXTERNAL,
  // Packages (fastify's plugins among them) may read a function's name: keep them as written.
  keepNames: true,
  // No comments or indentation: a third of the bytes to read, and ASCII only (one byte a character in V8).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  plugins: [moduleUrls],
  banner: {
    js: "const __inferdModuleUrl = (p) => require('node:url').pathToFileURL(require('node:path').join(__dirname, p)).href;",
  },
  logLevel: 'warning',
});
await writeFile(STAMP, `${JSON.stringify({ buildInfoMtimeMs: await mtimeMs(BUILD_INFO) })}\n`);

// The code cache: `inferd serve --help` through the bundle, its output discarded.
const training = spawnSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `process.argv = [process.argv[0], 'inferd', 'serve', '--help'];
     const { runCliBundle } = await import(${JSON.stringify(join(CLI_DIR, 'cli-bundle.js'))});
     if (!runCliBundle({ writeCodeCache: true })) process.exit(3);`,
  ],
  { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 60_000 },
);
// A bundle that cannot show the server's help is broken: no stamp, so the command runs its modules, and the build fails.
if (training.status !== 0 || (await mtimeMs(CACHE)) === null) {
  await rm(STAMP, { force: true });
  await rm(CACHE, { force: true });
  process.stderr.write(`build-cli-bundle: 'inferd serve --help' failed through the bundle (exit ${training.status}):\n${training.stderr}`);
  process.exit(1);
}
