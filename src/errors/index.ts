export * from './error-codes.js';
export * from './inference-error.js';
export * from './redact-paths.js';
