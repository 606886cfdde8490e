export { loadConfig, isCloudConfigured, describeConfigProblems } from './load.js';
export type { LoadOptions } from './load.js';
export type { Config, AppEnv, QueueName } from './types.js';
export { schema } from './schema.js';
export { crossKeyProblems } from './cross-checks.js';
