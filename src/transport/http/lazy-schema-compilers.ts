/**
 * Fastify's default schema compilers (ajv for validation, fast-json-stringify for serialisation), loaded the first
 * time a route with a JSON schema is compiled instead of when the app is built. Our routes declare no schemas (they
 * decode bodies themselves), so a start no longer loads ajv and fast-json-stringify (tens of ms of a cold start).
 * A route that declares a schema gets the same compilers, with fastify's default options, as without this.
 */
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

// Resolved from fastify's own folder: they are its dependencies, not ours.
const fastifyRequire = createRequire(createRequire(import.meta.url).resolve('fastify'));

/** A compiler factory as fastify calls it (its arguments and result are fastify's business). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- passed through to fastify's own factory untouched
type Builder = (...args: any[]) => any;

function lazily(load: () => Builder): Builder {
  let builder: Builder | undefined;
  return (...args) => (builder ??= load())(...args);
}

type Compilers = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/** Pass as `schemaController: { compilersFactory: lazySchemaCompilers() }`; one pair of factories per app. */
export function lazySchemaCompilers(): Compilers {
  return {
    buildValidator: lazily(() => (fastifyRequire('@fastify/ajv-compiler') as () => Builder)()),
    buildSerializer: lazily(() => (fastifyRequire('@fastify/fast-json-stringify-compiler') as () => Builder)()),
  };
}
