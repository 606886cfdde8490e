/**
 * The one root pino logger. JSON by default; pretty-printed only when asked for (LOG_PRETTY=true, or `auto`
 * with stdout a TTY). Redaction covers every place a credential could reach a log line: authorization
 * headers, signatures, access/secret keys, API keys, webhook secrets and auth tokens.
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
    redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
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
