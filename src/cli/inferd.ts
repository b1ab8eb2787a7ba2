#!/usr/bin/env node
/**
 * The `inferd` command's entry. The build (`npm run build`) also writes the whole command, with the pure-JavaScript
 * packages it uses, as one bundle with a V8 code cache beside it (scripts/build-cli-bundle.js): it starts in a
 * fraction of the time Node's module loader takes over the several hundred files it replaces. Without a current
 * bundle (a `tsc -b` since the last full build, or none built) the compiled modules run as they are.
 */
import { runCliBundle } from './cli-bundle.js';

if (!runCliBundle()) await import('./inferd-cli.js');
