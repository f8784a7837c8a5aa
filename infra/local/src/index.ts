export * from './settings.js';
export * from './launcher.js';
export * from './topics.js';
export { LauncherError } from './processes.js';
export { kafkaClasspath } from './kafka.js';
export * from './cluster.js';
