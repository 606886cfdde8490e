/**
 * The poll schedule's first lesson: the job-durations list calls onLearned exactly once, when it reaches
 * MIN_SAMPLES samples (and a cold list is never served from the cache); then first polls planned on the cold
 * guess are moved to where the learned schedule puts them — due ones now, others to their learned time, later
 * ones earlier and earlier ones later — and first polls already close to it are left alone.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { dropPrefix, freshPrefix, TEST_REDIS_URL } from '../../helpers/redis.js';
import { loadConfig } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { catchUpFirstPolls } from '../../../src/queues/poll-catch-up.js';
import { stageJobId, type StageJobData } from '../../../src/queues/names.js';
import { createJobDurations } from '../../../src/workflow/job-durations.js';
import { firstPollDelay, MIN_SAMPLES } from '../../../src/workflow/poll-schedule.js';
import { systemClock } from '../../../src/lib/clock.js';

describe('first polls moved to the learned schedule when the poll schedule learns', () => {
  const prefix = freshPrefix('catchup');
  const settings = loadConfig({ env: { APP_ENV: 'test' }, overrides: { workflow: { pollInitialExpectedMs: 20_000, pollMinDelayMs: 50 } } }).workflow;
  let redis: Redis;
  let queue: Queue<StageJobData>;

  before(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue<StageJobData>('poll', { connection: redis, prefix });
  });
  /** When a delayed job is due: its score in the delayed set (BullMQ keeps the due time there; `delay` is relative to the last change). */
  const dueAt = async (jobId: string): Promise<number> => {
    const score = Number(await redis.zscore(`${prefix}:poll:delayed`, jobId));
    return Math.floor(score / 0x1000);
  };

  after(async () => {
    await queue?.close();
    await dropPrefix(TEST_REDIS_URL, prefix);
    redis?.disconnect();
  });

  it('job durations: onLearned once, at MIN_SAMPLES; a cold list is read afresh every time', async () => {
    let learned = 0;
    const durations = createJobDurations({ key: `${prefix}:durations`, cacheMs: 60_000, onLearned: () => void (learned += 1) }, { redis });
    for (let i = 0; i < MIN_SAMPLES - 1; i++) await durations.record(10);
    assert.equal((await durations.recent()).length, MIN_SAMPLES - 1);
    assert.equal(learned, 0);
    await durations.record(10);
    assert.equal(learned, 1, 'called when the list reached MIN_SAMPLES');
    assert.equal((await durations.recent()).length, MIN_SAMPLES, 'the cold read was not cached');
    for (let i = 0; i < 3; i++) await durations.record(10);
    assert.equal(learned, 1, 'called once');
    assert.equal((await durations.recent()).length, MIN_SAMPLES, 'a warm read is cached');
  });

  it('job durations: the list keeps the newest `cap` samples', async () => {
    const key = `${prefix}:capped`;
    const durations = createJobDurations({ key, cap: MIN_SAMPLES + 2, cacheMs: 0 }, { redis });
    for (let i = 1; i <= MIN_SAMPLES + 5; i++) await durations.record(i * 100);
    assert.deepEqual(await redis.lrange(key, 0, -1), Array.from({ length: MIN_SAMPLES + 2 }, (_, i) => String((MIN_SAMPLES + 5 - i) * 100)));
    await durations.record(-1);
    await durations.record(Number.NaN);
    assert.equal(await redis.llen(key), MIN_SAMPLES + 2, 'a negative or non-finite duration is not a sample');
  });

  it('moves cold-planned first polls to the learned time, later or earlier, and leaves close ones alone', async () => {
    // Planned on the cold guess: 16 s after submission (80 % of 20 s).
    const cold = await Promise.all(['a', 'b'].map((id) => queue.add('poll', { attachment_id: id }, { jobId: stageJobId(id, 'poll'), delay: 16_000 })));
    // Planned far sooner than the learned first poll: it would only find the job running, so it moves later.
    const soon = await queue.add('poll', { attachment_id: 'c' }, { jobId: stageJobId('c', 'poll'), delay: 30 });
    // Learned: jobs take 2 s, so the first poll is about 2 s after submission (and not due yet).
    const samples = Array.from({ length: MIN_SAMPLES }, () => 2_000);
    const learnedDelay = firstPollDelay(samples, settings);
    // Planned within MIN_GAIN_MS of that: not worth a write.
    const close = await queue.add('poll', { attachment_id: 'd' }, { jobId: stageJobId('d', 'poll'), delay: learnedDelay + 50 });
    const moved = await catchUpFirstPolls({ queue, jobDurations: { recent: async () => samples }, settings, clock: systemClock, logger: silentLogger() });
    assert.equal(moved, 3);
    for (const job of [...cold, soon]) {
      const fresh = await queue.getJob(job.id as string);
      assert.equal(await fresh?.getState(), 'delayed');
      const due = await dueAt(job.id as string);
      assert.ok(Math.abs(due - (job.timestamp + learnedDelay)) < 500, `${job.id}: due ${due - job.timestamp} ms after submission, learned ${learnedDelay}`);
    }
    assert.equal((await queue.getJob(close.id as string))?.delay, learnedDelay + 50);

    // Learned: jobs end at once (first poll pollMinDelayMs after submission); a second later that is past: promoted.
    const quick = Array.from({ length: MIN_SAMPLES }, () => 0);
    const later = { now: () => Date.now() + 1_000 };
    assert.equal(await catchUpFirstPolls({ queue, jobDurations: { recent: async () => quick }, settings, clock: later, logger: silentLogger() }), 4);
    for (const job of cold) assert.equal(await (await queue.getJob(job.id as string))?.getState(), 'waiting');
  });

  it('moves a first poll later by at most half the server lease TTL (the poll renews the lease before it lapses)', async () => {
    const short = { ...settings, serverLeaseTtlMs: 1_000 };
    const job = await queue.add('poll', { attachment_id: 'e' }, { jobId: stageJobId('e', 'poll'), delay: 30 });
    const samples = Array.from({ length: MIN_SAMPLES }, () => 2_000);
    assert.ok(firstPollDelay(samples, short) > 30 + 500 + 100, 'the learned first poll is further off than the cap');
    assert.equal(await catchUpFirstPolls({ queue, jobDurations: { recent: async () => samples }, settings: short, clock: systemClock, logger: silentLogger() }), 1);
    const due = await dueAt(job.id as string);
    assert.ok(Math.abs(due - (job.timestamp + 30 + 500)) < 100, `due ${due - job.timestamp} ms after submission, cap 530`);
  });
});
