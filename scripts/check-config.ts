/**
 * Loads the configuration the way the service does (defaults, config/<APP_ENV>.json, env) and reports:
 *   valid   → one summary line on stdout (no secrets), exit 0
 *   invalid → the ConfigError message alone on stderr (one line per bad key, no stack trace), exit 78 (EX_CONFIG)
 * Usage: npx tsx scripts/check-config.ts
 */
import { loadConfig, isCloudConfigured } from '../src/config/index.js';
import { ConfigError } from '../src/lib/errors.js';

const EX_CONFIG = 78;
const EX_SOFTWARE = 70;

/** redis://user:password@host → redis://***@host */
function maskUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

try {
  const config = loadConfig();
  const cloud = isCloudConfigured(config)
    ? `cloud=${config.cloud.region} (${config.cloud.ak !== '' ? 'AK/SK' : 'token'})`
    : 'cloud=embedded emulator';
  console.log(
    `config ok: env=${config.env} api=${config.api.host}:${config.api.port} redis=${maskUrl(config.redis.url)} prefix=${config.redis.prefix} ${cloud} log=${config.log.level}`,
  );
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(EX_CONFIG);
  }
  console.error(`config check failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(EX_SOFTWARE);
}
