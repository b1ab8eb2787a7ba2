export * from './datatype.js';
export * from './shape.js';
export * from './tensor.js';
export * from './json-tensor.js';
export * from './raw-tensor.js';
