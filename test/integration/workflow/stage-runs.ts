/**
 * Running one stage (or cleanup) function directly against the real pieces — the emulator over HTTP with the
 * signing client, the Redis record store, locks, leases and subnet users of a test's workers — for the cases
 * where a test must control exactly which run happens when (a refused POST, a lost lock, a NIC that appears
 * later). The record is written to the store (no job is added, so the workers leave it alone).
 */
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/lib/logger.js';
import { stageDepsFor } from '../../../src/queues/worker-runtime.js';
import type { StageDeps } from '../../../src/workflow/deps.js';
import { newAttachmentRecord } from '../../../src/workflow/new-record.js';
import type { AttachmentRecord, AttachmentRequest } from '../../../src/workflow/types.js';
import type { TestWorkers } from '../../helpers/workers.js';

/** The dependencies a stage run of `w`'s workers gets. */
export function realStageDeps(w: TestWorkers): StageDeps {
  assert.ok(w.workers, 'the test workers must be running (their runtime is used)');
  return stageDepsFor(w.workers.runtime, () => undefined, silentLogger());
}

/** A stored record of `request`, running at the given stage with the given fields; returns it as stored. */
export async function storedRecord(w: TestWorkers, request: AttachmentRequest, fields: Partial<AttachmentRecord>): Promise<AttachmentRecord> {
  const rec = newAttachmentRecord(request);
  await w.store.create(rec);
  assert.equal(await w.store.patch(rec.id, { status: 'running', ...fields }), true);
  const stored = await w.store.get(rec.id);
  assert.ok(stored);
  return stored;
}
