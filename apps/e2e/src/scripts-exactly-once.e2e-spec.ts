import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually } from './support/http';
import { KafkaRecords, RawRecord, TopicTail } from './support/kafka-records';
import { activeScriptVersion, ScriptAdmin } from './support/scripts';

/** A job whose only step is a hot-swapped script with keyed state and emitted records. */
const JOBS = `export default ({ job, topic }) => [
  job('tally')
    .fromTopic(topic('tally-in'))
    .keyBy('by key', (event) => String(event.key))
    .script('tally', { stores: ['count'], emits: [topic('tally-emitted')] })
    .toTopic(topic('tally-out')),
];\n`;

/** Counts per key in the step's state; each count is both emitted and returned. */
const TALLY = `export default (input, ctx) => {
  const n = (flowgate.state.get('count') ?? 0) + 1;
  flowgate.state.put('count', n);
  flowgate.emit('tally-emitted', ctx.key, { key: ctx.key, n });
  return { key: ctx.key, n };
};`;
const TALLY_MANIFEST = {
  kind: 'step' as const,
  capabilities: { state: { stores: ['count'] }, emit: { topics: ['tally-emitted'] } },
  examples: [{ input: { key: 'a' }, context: { key: 'a' }, state: { count: 2 }, output: { key: 'a', n: 3 } }],
};

const KEYS = ['k1', 'k2', 'k3', 'k4', 'k5'];
const PER_KEY = 30;

/** Each key's counts in the order they were written (committed records only: the tail reads committed). */
function countsByKey(tail: TopicTail): Record<string, number[]> {
  const counts: Record<string, number[]> = {};
  for (const record of tail.records as RawRecord[]) {
    const { key, n } = JSON.parse(record.value!) as { key: string; n: number };
    (counts[key] ??= []).push(n);
  }
  return counts;
}

describe('a script step with keyed state and emitted records in an exactly-once job, its processor SIGKILLed mid-run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-jobs-'));
  writeFileSync(join(dir, 'jobs.mjs'), JOBS);
  const cluster = new Cluster('scripts-eos', { FLOWGATE_JOBS: join(dir, 'jobs.mjs'), FLOWGATE_PROCESSING: 'exactly_once' });
  const records = new KafkaRecords('scripts-eos');
  const admin = new ScriptAdmin(cluster);

  afterAll(async () => {
    await records.close();
    await cluster.stopAll();
  });

  it('leaves exact counts: every count once in the sink and once among the emitted records', async () => {
    const doomed: AppProcess = await cluster.start('processor', { FLOWGATE_FAILPOINT: 'after-output-before-commit' });
    await admin.activate(await admin.putVersion('tally', 1, TALLY, TALLY_MANIFEST));
    await eventually(async () => (await activeScriptVersion(doomed, 'tally')) === 1, 10_000, 'tally@1 loaded');
    const out = await records.tail(`${cluster.prefix}tally-out`);
    const emitted = await records.tail(`${cluster.prefix}tally-emitted`);

    const events = KEYS.flatMap((key) => Array.from({ length: PER_KEY }, (_, seq) => ({ key, value: JSON.stringify({ key, seq }) })));
    await records.write(`${cluster.prefix}tally-in`, events);
    expect(await doomed.exited).toBeNull(); // killed by its own SIGKILL, its first batch written and not committed
    expect(doomed.logs).toMatch(/failpoint after-output-before-commit reached/);

    await cluster.start('processor');
    const expected = Object.fromEntries(KEYS.map((key) => [key, Array.from({ length: PER_KEY }, (_, i) => i + 1)]));
    await eventually(() => out.records.length >= KEYS.length * PER_KEY && emitted.records.length >= KEYS.length * PER_KEY, 60_000, 'every count written');
    expect(countsByKey(out)).toEqual(expected);
    expect(countsByKey(emitted)).toEqual(expected);
  }, 120_000);
});
