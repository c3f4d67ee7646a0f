import type { OutgoingRecord } from '@flowgate/kafka';
import { describeJob, isKeyed, job, KeyedState, KeyedStore, outputTopics, placeJobs, RecordContext, route, runOperators, ScriptSteps } from '../index';
import { jobPartition } from '../testing';

const ctx = { id: 'r1', partition: 0, timestamp: 1_000, deadline: Infinity };

type Handler = (value: unknown, ctx: RecordContext, state?: KeyedState) => unknown;

/** A stand-in for the processor's sandboxes: scripts by name, each a plain function; calls are recorded. */
function fakeScripts(handlers: Record<string, Handler>) {
  const calls: { script: string; value: unknown; key?: string; state: boolean }[] = [];
  const scripts: ScriptSteps = {
    run: async (script, value, c, state, emit) => {
      calls.push({ script, value, key: c.key, state: state !== undefined });
      expect(emit).toBe(state?.emit);
      const handler = handlers[script];
      if (!handler) throw new Error(`no active version of ${script}`);
      return handler(value, c, state);
    },
  };
  return { scripts, calls };
}

/** What a topic-sink job writes for one input, as `topic key value` lines. */
async function written(j: ReturnType<typeof stateless>, input: unknown, scripts: ScriptSteps): Promise<string[]> {
  const records: OutgoingRecord[] = [];
  await runOperators(j, input, ctx, { keyed: { store: new KeyedStore(), emit: (r) => records.push(r) }, scripts });
  return records.map((r) => `${r.topic} ${r.key} ${String(r.value)}`);
}

const stateless = () => job('rules').fromTopic('in').script('rule').toTopic('out');

describe('script steps', () => {
  it('maps the script result: null and undefined drop the value, an array flows on element by element, anything else as one value', async () => {
    const results: Record<string, unknown> = { drop: null, none: undefined, many: [1, 'two', { three: 3 }], empty: [], one: { n: 1 }, zero: 0 };
    const { scripts } = fakeScripts({ rule: (value) => results[String(value)] });
    const rules = stateless();
    expect(await written(rules, 'drop', scripts)).toEqual([]);
    expect(await written(rules, 'none', scripts)).toEqual([]);
    expect(await written(rules, 'empty', scripts)).toEqual([]);
    expect(await written(rules, 'many', scripts)).toEqual(['out null 1', 'out null "two"', 'out null {"three":3}']);
    expect(await written(rules, 'one', scripts)).toEqual(['out null {"n":1}']);
    expect(await written(rules, 'zero', scripts)).toEqual(['out null 0']);
  });

  it('calls the script by its name with the value and the record context, values in order, and replies with its result on a route', async () => {
    const { scripts, calls } = fakeScripts({ upper: async (value) => String(value).toUpperCase(), double: (value) => [value, value] });
    const chain = job('chain').fromRoute(route({ name: 'chain', summary: 'test' }))
      .map('text', (body) => String(body.text))
      .script('double', { name: 'twice' })
      .script('upper')
      .toReply();
    expect(await runOperators(chain, { text: 'a' }, ctx, { scripts })).toEqual(['A', 'A']);
    expect(calls.map((c) => `${c.script}(${String(c.value)}) state:${c.state}`)).toEqual(['double(a) state:false', 'upper(a) state:false', 'upper(a) state:false']);
  });

  it('fails the record with a clear error when the runtime has no scripts', async () => {
    const chain = job('chain').fromRoute(route({ name: 'chain', summary: 'test' })).script('upper').toReply();
    await expect(runOperators(chain, {}, ctx)).rejects.toThrow("job chain: script step 'upper' (script upper) cannot run: this runtime was started without scripts");
  });

  it('fails the record when the script rejects, and keeps none of its state or emitted records', async () => {
    const { scripts } = fakeScripts({
      count: (value, _c, state) => {
        state!.put('seen', 1);
        state!.emit('side', 'k', value);
        throw new Error('script error');
      },
    });
    const counting = job('counting').fromTopic('in').keyBy('k', () => 'k').script('count', { stores: ['seen'], emits: ['side'] }).toTopic('out');
    const p = jobPartition(counting, { scripts });
    await expect(p.send('x')).rejects.toThrow('script error');
    expect(p.emitted).toEqual([]);
    expect([...p.state('seen')]).toEqual([]);
  });

  describe('with stores', () => {
    const countScript: Handler = (value, c, state) => {
      const seen = (state!.get<number>('seen') ?? 0) + 1;
      state!.put('seen', seen);
      if (seen === 2) state!.emit('second-visits', c.key!, { key: c.key, value });
      return seen === 3 ? null : { key: c.key, seen };
    };
    const visits = job('visits').fromTopic<{ user: string }>('in')
      .keyBy('by user', (v) => v.user)
      .script('count-visits', { stores: ['seen'], emits: ['second-visits'] })
      .toTopic('counts');

    it('keeps per-key state in the named stores and emits into the batch with the sink records', async () => {
      const p = jobPartition(visits, { scripts: fakeScripts({ 'count-visits': countScript }).scripts });
      await p.send({ user: 'a' });
      await p.send({ user: 'b' });
      await p.send({ user: 'a' });
      await p.send({ user: 'a' });
      expect(Object.fromEntries(p.state('seen'))).toEqual({ a: 3, b: 1 });
      expect(p.emitted.map((r) => `${r.topic} ${r.key} ${String(r.value)}`)).toEqual([
        'counts a {"key":"a","seen":1}',
        'counts b {"key":"b","seen":1}',
        'second-visits a {"key":"a","value":{"user":"a"}}',
        'counts a {"key":"a","seen":2}',
      ]);
    });

    it('make the job keyed, need a keyBy before the step, and declare their emit topics as job outputs', () => {
      expect(isKeyed(visits)).toBe(true);
      expect(isKeyed(stateless())).toBe(false);
      expect(() => job('x').fromTopic('in').script('s', { stores: ['st'] })).toThrow("job x: script step 's' with stores needs a keyBy before it");
      expect(outputTopics(visits)).toEqual(['second-visits', 'counts']);
      const placed = placeJobs([visits], { prefix: 'p.', partitions: 2 });
      expect(placed.partitioned.map((j) => j.sourceTopic)).toEqual(['in']);
      expect(placed.topics.map((t) => t.topic)).toEqual(['in', 'p.visits.changelog', 'second-visits', 'counts']);
    });

    it('refuse stores and emit topics the step did not declare', async () => {
      const sneaky = (store: string, topic: string): Handler => (_v, _c, state) => (topic ? state!.emit(topic, 'k', 1) : state!.put(store, 1));
      const send = (handler: Handler) => jobPartition(visits, { scripts: fakeScripts({ 'count-visits': handler }).scripts }).send({ user: 'a' });
      await expect(send(sneaky('other', ''))).rejects.toThrow(`script step 'count-visits' used store "other", which is not one of its stores [seen]`);
      await expect(send(sneaky('seen', 'elsewhere'))).rejects.toThrow(`script step 'count-visits' emitted to elsewhere, which is not one of its emits [second-visits]`);
      await expect(send((_v, _c, state) => state!.partition.get('seen'))).rejects.toThrow('has no partition-wide state');
    });

    it('cannot run on the shared requests topic (keyed state needs a topic of its own)', () => {
      const onShared = job('shared').fromRoute(route({ name: 'shared', summary: 'test', keyField: 'user' }))
        .keyBy('by user', (b) => String(b.user))
        .script('s', { stores: ['st'] })
        .toReply();
      expect(() => placeJobs([onShared], { prefix: 'p.', partitions: 2 })).toThrow(/job shared keeps keyed state/);
    });
  });

  it('without stores in a keyed run still emit, but touch no state', async () => {
    const router = job('router').fromTopic('alarms').script('route-alarm', { emits: ['sms'] }).toTopic('unrouted');
    const { scripts, calls } = fakeScripts({
      'route-alarm': (value, _c, state) => {
        state!.emit('sms', 'v1', value);
        return null;
      },
    });
    const p = jobPartition(router, { scripts });
    await p.send({ type: 'enter' });
    expect(p.emitted.map((r) => `${r.topic} ${r.key} ${String(r.value)}`)).toEqual(['sms v1 {"type":"enter"}']);
    expect(calls[0].state).toBe(true);
    const toucher = fakeScripts({ 'route-alarm': (_v, _c, state) => state!.get('x') }).scripts;
    await expect(jobPartition(router, { scripts: toucher }).send({})).rejects.toThrow(`used store "x", which is not one of its stores []`);
  });

  it('is its own node kind in the topology, with the script, its stores and emit topics', () => {
    const geofence = job('geofence').fromTopic<{ vehicle: string }>('positions')
      .keyBy('by vehicle', (p) => p.vehicle)
      .script('geofence-rules', { stores: ['inside'], emits: ['audit'] })
      .script('tag', { name: 'tag alarms' })
      .toTopic('alarms');
    const [, , rules, tag] = describeJob(geofence).nodes;
    expect(rules).toEqual({ id: 'geofence/2', kind: 'script', name: 'geofence-rules', script: 'geofence-rules', stores: ['inside'], emits: ['audit'] });
    expect(tag).toEqual({ id: 'geofence/3', kind: 'script', name: 'tag alarms', script: 'tag' });
  });
});
