/** The composition root's surface: createApp and the roles. */
export { createApp, type App, type AppOptions } from './create-app.js';
export { ROLE_NAMES, type AppContext, type Role, type RoleFactory, type RoleName } from './role.js';
export { ROLE_FACTORIES } from './roles/index.js';
export { createEmulatorRole, type EmulatorRole } from './roles/emulator.js';
export { createWorkersRole, type WorkersRole } from './roles/workers.js';
export { cloudOptionsFromConfig, emulatorCloudOptions, sharedEmulatorUrl } from './cloud-options.js';
export { checkRedis, redactRedisUrl } from './redis-check.js';
