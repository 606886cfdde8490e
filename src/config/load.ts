/**
 * Loads the configuration: schema defaults, then config/<APP_ENV>.json, then environment variables (env wins).
 * Validation is strict (unknown keys in a file are errors; env values must have their exact form, see
 * ./formats.ts), then the checks across keys run (./cross-checks.ts). Every problem is reported at once, one
 * line per key with its env var and what is expected, as a ConfigError whose message is meant to be printed alone.
 */
import convict from 'convict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../lib/errors.js';
import { schema } from './schema.js';
import { coercions, formats } from './formats.js';
import { crossKeyProblems } from './cross-checks.js';
import type { Config } from './types.js';

let formatsAdded = false;
function addFormats(): void {
  if (formatsAdded) return;
  for (const [name, validate] of Object.entries(formats)) {
    const coerce = coercions[name];
    convict.addFormat({ name, validate, ...(coerce ? { coerce } : {}) });
  }
  formatsAdded = true;
}

export interface LoadOptions {
  /** Environment to read (default process.env). */
  env?: Record<string, string | undefined>;
  /** Folder of the <APP_ENV>.json overlays (default ./config). */
  configDir?: string;
  /** Values applied last, over env (tests, the embedded emulator). */
  overrides?: Record<string, unknown>;
}

interface LeafInfo {
  env?: string;
  sensitive?: boolean;
  doc?: string;
}

function leafInfo(path: string): LeafInfo | undefined {
  let node: unknown = schema;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node && typeof node === 'object' ? (node as LeafInfo) : undefined;
}

/**
 * Turn convict's multi-line error into one line per key naming its env var and what is expected.
 * valueOf (the loaded values) lets an empty value be named too: convict only echoes truthy ones.
 */
export function describeConfigProblems(message: string, valueOf?: (key: string) => unknown): string[] {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const undeclared = /configuration param '([^']+)' not declared in the schema/.exec(line);
      if (undeclared) return `${undeclared[1]}: unknown setting (not in the schema; check for a typo in the config file)`;
      const m = /^([A-Za-z0-9_.]+): (.*)$/.exec(line);
      if (!m || m[1] === undefined || m[2] === undefined) return line;
      const key = m[1];
      const info = leafInfo(key);
      let what = m[2];
      if (info?.sensitive) what = what.replace(/: value was .*$/, ': value hidden (sensitive)');
      else if (!what.includes(': value was ') && valueOf?.(key) === '') what += ': value was ""';
      const env = info?.env ? `${info.env} (${key})` : key;
      return `${env}: ${what}`;
    });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  addFormats();
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  const conf = convict(schema as unknown as convict.Schema<Omit<Config, 'emulator'>>, { env: env as NodeJS.ProcessEnv, args: [] });
  const appEnv = conf.get('env');
  const dir = opts.configDir ?? join(process.cwd(), 'config');
  const file = join(dir, `${appEnv}.json`);
  if (existsSync(file)) {
    try {
      conf.load(JSON.parse(readFileSync(file, 'utf8')));
      // env vars win over the file: convict's load() lets the file override env, so re-apply env values.
      conf.load(envValues(env));
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
    }
  }
  if (opts.overrides) conf.load(opts.overrides);
  try {
    conf.validate({ allowed: 'strict' });
  } catch (err) {
    problems.push(...describeConfigProblems((err as Error).message, (key) => (conf.has(key as never) ? conf.get(key as never) : undefined)));
  }
  // Checks across keys run even when single keys are bad, so one run lists every problem (./cross-checks.ts).
  problems.push(...crossKeyProblems(conf.getProperties()));
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`, { problems });
  }
  const raw = conf.getProperties() as unknown as Config;
  const config: Config = {
    ...raw,
    emulator: {
      ...raw.emulator,
      credentialsDefaulted: !env.EMULATOR_ACCESS_KEY || !env.EMULATOR_SECRET_KEY || !env.EMULATOR_PROJECT_ID,
    },
  };
  return deepFreeze(config);
}

/** The env-var values of the schema as a nested object (so they can be re-applied over a file overlay). */
function envValues(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (node: Record<string, unknown>, path: string[]): void => {
    for (const [k, v] of Object.entries(node)) {
      if (!v || typeof v !== 'object') continue;
      const leaf = v as LeafInfo & { format?: unknown };
      if ('default' in leaf && typeof leaf.env === 'string') {
        const value = env[leaf.env];
        if (value === undefined) continue;
        let target = out;
        for (const p of path) target = (target[p] ??= {}) as Record<string, unknown>;
        const coerce = typeof leaf.format === 'string' ? coercions[leaf.format] : undefined;
        // The same coercion convict applies when it imports env itself (./formats.ts): exact forms only.
        target[k] = coerce ? coerce(value) : value;
      } else {
        walk(v as Record<string, unknown>, [...path, k]);
      }
    }
  };
  walk(schema as unknown as Record<string, unknown>, []);
  return out;
}

/** Whether real cloud credentials are configured (otherwise the embedded emulator is the cloud). */
export function isCloudConfigured(config: Config): boolean {
  return config.cloud.ak !== '' || config.cloud.authToken !== '';
}
