export * from './inference-error.js';
export * from './redact-paths.js';
