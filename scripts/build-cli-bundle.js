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
 * - Code cache: a server is started through the bundle (on an empty repository, ports 0) and stopped once it
 *   listens, and the cache is written as it exits (`inferd serve --help`, which loads every module, where that
 *   start cannot run). Nothing is written when inferd runs. If neither runs, the bundle is broken: the build fails
 *   and no stamp is left, so the command would run its modules.
 * - A stamp records tsc's build info as the bundle saw it: a later `tsc -b` makes the bundle stale and the command
 *   runs its modules instead, until the next `npm run build`.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
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
  '@aws-sdk/*',
  '@smithy/*',
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

/**
 * Runs `inferd <args>` through the bundle, writing the code cache as it exits; resolves with its exit code and
 * stderr. With `until`, the process is sent SIGTERM once a line of its standard output matches.
 */
function train(args, until) {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      // A SIGTERM that comes before the server's own handler (the "listening" line is logged just before it is
      // installed) exits at once: the cache is written all the same.
      `process.on('SIGTERM', () => process.listenerCount('SIGTERM') === 1 && process.exit(0));
       process.argv = [process.argv[0], 'inferd', ...${JSON.stringify(args)}];
       const { runCliBundle } = await import(${JSON.stringify(join(CLI_DIR, 'cli-bundle.js'))});
       if (!runCliBundle({ writeCodeCache: true })) process.exit(3);`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: trainingEnv() },
  );
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (until?.test(line)) child.kill('SIGTERM');
  });
  return new Promise((done) =>
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      done({ code: code ?? signal, stderr });
    }),
  );
}

/** This environment without inferd's own settings, which would change what the training start does. */
function trainingEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFERD_')));
  return { ...env, INFERD_SHUTDOWN_DELAY_MS: '0', INFERD_LOG_FORMAT: 'json' };
}

/**
 * The code cache holds the functions compiled while it was made. A real start compiles most of what a start runs
 * (config, stores, the HTTP, gRPC and metrics apps): explicit model control on an empty repository in a temporary
 * folder, every port 0 on 127.0.0.1, stopped once it listens. Where that cannot run (no sockets in a sandboxed
 * build), `inferd serve --help` still loads every module.
 */
const scratch = await mkdtemp(join(tmpdir(), 'inferd-bundle-training-'));
let trained;
try {
  await mkdir(join(scratch, 'models'));
  trained = await train(
    [
      'serve',
      ...['--model-repository', join(scratch, 'models'), '--state-dir', join(scratch, 'state')],
      ...['--model-control-mode', 'explicit', '--allow-empty-repository', '--host', '127.0.0.1'],
      ...['--http-port', '0', '--grpc-port', '0', '--metrics-port', '0'],
    ],
    /inferd listening on/,
  );
  if (trained.code !== 0 || (await mtimeMs(CACHE)) === null) {
    process.stderr.write(`build-cli-bundle: a training start failed (${trained.code}); using 'serve --help'\n${trained.stderr}`);
    trained = await train(['serve', '--help']);
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
// A bundle that cannot even show the server's help is broken: no stamp (the command runs its modules), and the
// build fails.
if (trained.code !== 0 || (await mtimeMs(CACHE)) === null) {
  await rm(STAMP, { force: true });
  await rm(CACHE, { force: true });
  process.stderr.write(`build-cli-bundle: 'inferd serve --help' failed through the bundle (${trained.code}):\n${trained.stderr}`);
  process.exit(1);
}
