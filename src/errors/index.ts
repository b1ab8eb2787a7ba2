export * from './inference-error.js';
