export * from './catalog.js';
export * from './compatibility.js';
export * from './operations.js';
export * from './typescript.js';
export * from './generated/types.js';
