/**
 * The one root pino logger. JSON by default; pretty-printed only when asked for (LOG_PRETTY=true, or `auto`
 * with stdout a TTY). Redaction covers every place a credential could reach a log line: authorization
 * headers, signatures, access/secret keys, API keys, webhook secrets and auth tokens.
 *
 * Two layers: pino's path redaction (REDACT_PATHS, cheap, one level of wildcard) and a deep pass
 * (redactDeep) over every logged object, the serialized `err` and the message, which catches a sensitive
 * key at any depth (an error's cause's request config …) and credential-shaped text inside strings
 * (an Authorization value, a `whsec_` secret, a Bearer token quoted in an error message).
 */
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS: readonly string[] = [
  'authorization',
  'Authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-auth-token"]',
  'req.headers["idempotency-key"]',
  'headers["x-auth-token"]',
  '*.headers.authorization',
  '*.headers["X-Auth-Token"]',
  '*.headers["x-auth-token"]',
  'signature',
  '*.signature',
  'secret',
  '*.secret',
  'secrets',
  '*.secrets',
  'sk',
  '*.sk',
  'ak',
  '*.ak',
  'accessKey',
  '*.accessKey',
  'secretKey',
  '*.secretKey',
  'authToken',
  '*.authToken',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'apiKeys',
  '*.apiKeys',
  'keys',
  '*.keys',
  'webhookSecret',
  '*.webhookSecret',
  '["webhook-signature"]',
  '*["webhook-signature"]',
];

/** Keys whose values never reach a log line, compared case-insensitively at any depth. */
const SENSITIVE_KEYS = new Set(
  [
    'authorization',
    'x-auth-token',
    'x-security-token',
    'idempotency-key',
    'signature',
    'webhook-signature',
    'secret',
    'secrets',
    'sk',
    'ak',
    'accesskey',
    'secretkey',
    'securitytoken',
    'authtoken',
    'token',
    'apikey',
    'apikeys',
    'keys',
    'webhooksecret',
    'password',
  ].map((k) => k.toLowerCase()),
);

/** Credential-shaped text inside strings: the part after the prefix is replaced. */
const SECRET_PATTERNS: readonly RegExp[] = [
  /(Access=)[^,\s"]+/g,
  /(Signature=)[0-9A-Za-z+/=]{8,}/g,
  /\b(whsec_)[A-Za-z0-9+/=]{4,}/g,
  /\b(Bearer\s+)[^\s",]+/gi,
  /\b(v1,)[A-Za-z0-9+/=]{16,}/g,
];
const CENSOR = '[REDACTED]';
const MAX_DEPTH = 8;

function redactString(s: string): string {
  let out = s;
  for (const re of SECRET_PATTERNS) out = out.replace(re, `$1${CENSOR}`);
  return out;
}

/**
 * A copy of `value` with sensitive keys censored at any depth and secrets masked inside strings; the input is
 * never modified, and an unchanged subtree is returned as is (no copy). Walks plain objects and arrays only.
 */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((v, i) => {
      const r = redactDeep(v, depth + 1);
      if (r !== v) (copy ??= [...value])[i] = r;
    });
    return copy ?? value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const r = SENSITIVE_KEYS.has(k.toLowerCase()) && v !== undefined && v !== null ? CENSOR : redactDeep(v, depth + 1);
    if (r !== v) (copy ??= { ...(value as Record<string, unknown>) })[k] = r;
  }
  return copy ?? value;
}

export interface LoggerConfig {
  level: string;
  /** 'auto' pretty-prints only when stdout is a TTY. */
  pretty: 'auto' | 'true' | 'false';
  name?: string;
}

export function createLogger(cfg: LoggerConfig, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: cfg.level,
    base: { service: cfg.name ?? 'ecs-nic-attach' },
    redact: { paths: [...REDACT_PATHS], censor: CENSOR },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { log: (obj) => redactDeep(obj) as Record<string, unknown> },
    // The standard serializer's result has its own prototype (the walk skips non-plain objects): spread it first.
    serializers: { err: (err: Error) => redactDeep({ ...pino.stdSerializers.err(err) }) },
    hooks: {
      logMethod(args, method) {
        // The message (a string argument) gets the same masking as string fields.
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactString(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  if (destination) return pino(options, destination);
  const pretty = cfg.pretty === 'true' || (cfg.pretty === 'auto' && process.stdout.isTTY === true);
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(options);
}

/** A logger that writes nothing (tests and library users that bring none). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
