/**
 * Idempotency-Key claims of the producer (./producer.ts): an atomic SET NX of `{id, hash}` (hash = canonical
 * JSON of the request body) claims the key before the record is written; the same key with the same body gets
 * the earlier claim back, another body is a 409. A claim whose record never got written (the writer died in
 * between) is completed by the next retry with the claimed id (`replay`). The producer releases a claim only
 * when its write is known not to have happened (refused by Redis, or never sent); a write sent but not answered
 * keeps it, so that the retry finds — or completes — that very record instead of making a second one.
 */
import type { Redis } from 'ioredis';
import { AppError, ValidationError } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { delay } from '../lib/wait.js';
import type { Keys } from '../workflow/keys.js';

export interface IdempotencyClaim {
  id: string;
  hash: string;
}

export interface IdempotencyClaims {
  /** Claim `key` for `fresh`. Undefined when the claim is ours, else the earlier claim (same hash; another hash is a 409). */
  claim(key: string, fresh: IdempotencyClaim): Promise<IdempotencyClaim | undefined>;
  /**
   * Drop our claim after a write that surely did not happen, so that a retry (even with another body) can
   * succeed; only when it is still ours. Best effort: with Redis unreachable the claim stays until its TTL, and a
   * retry with the same body completes it (replay).
   */
  release(key: string, id: string): Promise<void>;
  /**
   * The earlier claim's record (or batch): waits briefly for a concurrent writer, then writes it itself. True
   * when it wrote.
   */
  replay(earlier: IdempotencyClaim, write: () => Promise<boolean>): Promise<boolean>;
}

export function createIdempotencyClaims(settings: { ttlMs: number }, deps: { redis: Redis; keys: Keys; clock: Clock; logger: Logger }): IdempotencyClaims {
  const { redis, keys, clock, logger } = deps;
  const claim = async (key: string, fresh: IdempotencyClaim): Promise<IdempotencyClaim | undefined> => {
    const redisKey = keys.idempotency(key);
    const set = await redis.set(redisKey, JSON.stringify(fresh), 'PX', settings.ttlMs, 'NX');
    if (set === 'OK') return undefined;
    const raw = await redis.get(redisKey);
    if (raw === null) {
      // Expired between the two calls: claim again.
      return claim(key, fresh);
    }
    const earlier = JSON.parse(raw) as IdempotencyClaim;
    if (earlier.hash !== fresh.hash) {
      throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with another request body', {
        httpStatus: 409,
        details: { idempotency_key: key, id: earlier.id },
      });
    }
    return earlier;
  };
  return {
    claim,
    async release(key, id) {
      try {
        const raw = await redis.get(keys.idempotency(key));
        if (raw !== null && (JSON.parse(raw) as IdempotencyClaim).id === id) await redis.del(keys.idempotency(key));
      } catch (err) {
        logger.warn({ err, code: 'IDEMPOTENCY_RELEASE_FAILED' }, 'could not release an idempotency claim (it expires by itself)');
      }
    },
    async replay(earlier, write) {
      const deadline = clock.now() + 1000;
      while (clock.now() < deadline) {
        if ((await redis.exists(keys.attachment(earlier.id), keys.batch(earlier.id))) > 0) return false;
        await delay(25);
      }
      // The write is create-only: false when the first write landed after all (between the last look and now).
      return write();
    },
  };
}

const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;

/** An Idempotency-Key is 1–255 printable ASCII characters (a bad one changes nothing: 400). */
export function assertIdempotencyKey(key: string): void {
  if (!IDEMPOTENCY_KEY_RE.test(key)) {
    throw new ValidationError('Idempotency-Key must be 1–255 printable ASCII characters', { field: 'Idempotency-Key' }, 'INVALID_IDEMPOTENCY_KEY');
  }
}
