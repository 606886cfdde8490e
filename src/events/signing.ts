/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, spec "Signature scheme"):
 *   webhook-id:        the event id (stable across retries, so receivers can deduplicate)
 *   webhook-timestamp: the attempt time, integer seconds since the epoch
 *   webhook-signature: space-separated "v1,<base64 HMAC-SHA256(key, `${id}.${timestamp}.${body}`)>" entries,
 *                      one per active secret (two during a rotation overlap)
 * Secrets are "whsec_" + base64 of random bytes; the HMAC key is the base64-decoded part after the prefix.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { ConfigError } from '../lib/errors.js';

export const SECRET_PREFIX = 'whsec_';

/** A new secret: whsec_ + base64 of 32 random bytes (the spec asks for 24 to 64). */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** The HMAC key of a secret. Accepts "whsec_<base64>" or bare base64, like the reference library. */
export function secretKey(secret: string): Buffer {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new ConfigError('a webhook secret must be whsec_ followed by base64');
  const key = Buffer.from(b64, 'base64');
  if (key.length === 0) throw new ConfigError('a webhook secret must not be empty');
  return key;
}

/** One "v1,<base64>" signature. */
export function signatureFor(secret: string, msgId: string, timestampSec: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${msgId}.${timestampSec}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'content-type': 'application/json';
}

/** The headers of one delivery attempt, signed with every given secret (newest first). */
export function signedHeaders(secrets: readonly string[], msgId: string, timestampSec: number, body: string): SignedHeaders {
  if (secrets.length === 0) throw new ConfigError('no secret to sign the webhook with');
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': secrets.map((s) => signatureFor(s, msgId, timestampSec, body)).join(' '),
    'content-type': 'application/json',
  };
}
