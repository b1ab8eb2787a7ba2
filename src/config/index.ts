export * from './model-config.js';
export * from './model-config-yaml.js';
export * from './model-config-triton.js';
export * from './server-config.js';
export * from './model-config-traffic.js';
export * from './feature-config.js';
export { parseTextProto } from './pbtxt.js';
export * from './auth-config.js';
