/**
 * zod's options for every schema inferd parses: config files at start, management-API bodies, stored records.
 * Each value is parsed once, so zod's JIT (a parser generated and compiled with `new Function` per object schema on
 * its first use) costs more than it saves: tens of milliseconds of a cold start for the server config alone.
 */
export const PARSE_ONCE = Object.freeze({ jitless: true });
