import type { ScriptManifest } from '@flowgate/contracts';
import { checkScript, LoadedScript, ScriptEngine } from '@flowgate/scripts';
import { jobContext, ScriptSteps } from '@flowgate/stream';
import { jobPartition } from '@flowgate/stream/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alertRoutingJob, geofenceJob } from './geofence.jobs';

const PREFIX = 'flowgate.';
const { topic } = jobContext(PREFIX);

/** A shipped script version as the admin API receives it. */
function shipped(name: string, file = name, version = 1) {
  const read = (f: string) => readFileSync(join(__dirname, 'scripts', f), 'utf8');
  return { name, version, source: read(`${file}.js`), manifest: JSON.parse(read(`${file}.manifest.json`)) as ScriptManifest };
}

/**
 * The processor's part, in small: the active version of each script in a real sandbox, one KV
 * namespace (`geofence`) in memory, state and emit from the job's keyed run (emit topics under
 * the prefix, as the manifest promises).
 */
class SandboxScripts implements ScriptSteps {
  readonly kv = new Map<string, string>();
  private readonly active = new Map<string, LoadedScript>();

  constructor(private readonly engine: ScriptEngine) {}

  async activate(record: ReturnType<typeof shipped>): Promise<void> {
    const previous = this.active.get(record.name);
    this.active.set(record.name, await this.engine.load(record));
    await previous?.dispose();
  }

  run: ScriptSteps['run'] = (script, value, ctx, state) => {
    const loaded = this.active.get(script);
    if (!loaded) return Promise.reject(new Error(`no active version of ${script}`));
    const { id, key, timestamp, deadline, partition } = ctx;
    return loaded.call(value, { id, key, timestamp, deadline, partition }, {
      kv: {
        get: async (k) => this.kv.get(k) ?? null,
        set: async (k, v) => void this.kv.set(k, v),
        delete: async (k) => void this.kv.delete(k),
      },
      ...(state
        ? {
            state: { get: (store) => state.get(store), put: (store, v) => state.put(store, v), delete: (store) => state.delete(store) },
            emit: (t: string, k: string, v: unknown) => state.emit(`${PREFIX}${t}`, k, v),
          }
        : {}),
    });
  };

  async dispose(): Promise<void> {
    await Promise.all([...this.active.values()].map((s) => s.dispose()));
  }
}

const square = (lat: number, lon: number, size: number) => [[lat, lon], [lat, lon + size], [lat + size, lon + size], [lat + size, lon]];
const position = (lat: number, lon: number, ts: number) => ({ vehicle: 'truck-7', lat, lon, ts });
const lines = (records: readonly { topic: string; key?: unknown; value?: unknown }[]) =>
  records.map((r) => `${r.topic} ${String(r.key)} ${String(r.value)}`);

describe('geofence scripts in the sandbox', () => {
  let engine: ScriptEngine;
  beforeAll(async () => {
    engine = await ScriptEngine.create();
  });

  it.each([
    ['fences', 'fences'],
    ['geofence-rules', 'geofence-rules'],
    ['alert-routing', 'alert-routing'],
    ['alert-routing', 'alert-routing.v2'],
  ])('%s (%s.js) passes its manifest examples', async (name, file) => {
    expect(await checkScript(engine, shipped(name, file))).toEqual([]);
  });

  it('a rule that reports enter as leave fails its examples (they would refuse such an upload)', async () => {
    const rules = shipped('geofence-rules');
    const swapped = { ...rules, source: rules.source.replace("type: 'enter'", "type: 'leave'") };
    expect(swapped.source).not.toEqual(rules.source);
    expect(await checkScript(engine, swapped)).toEqual(expect.arrayContaining([expect.stringMatching(/^example 0: expected output .*"enter".*, got output .*"leave"/)]));
  });

  describe('the jobs, with the scripts run by a real ScriptEngine', () => {
    let scripts: SandboxScripts;
    beforeEach(async () => {
      scripts = new SandboxScripts(engine);
      await scripts.activate(shipped('fences'));
      await scripts.activate(shipped('geofence-rules'));
      await scripts.activate(shipped('alert-routing'));
    });
    afterEach(() => scripts.dispose());
    const drawFences = (fences: { id: string; polygon: number[][] }[]) => scripts.run('fences', { fences }, { id: 'draw', partition: 0, timestamp: 0, deadline: Infinity });

    it('geofence: alarms on entering and leaving, per vehicle; redrawn fences and a new rule version apply from the next position', async () => {
      const p = jobPartition(geofenceJob(topic), { scripts });
      expect(await drawFences([{ id: 'depot', polygon: square(52, 4, 0.1) }])).toEqual({ count: 1 });
      await p.send(position(52.05, 4.05, 1), { key: 'truck-7' });
      await p.send(position(52.06, 4.06, 2), { key: 'truck-7' });
      await p.send(position(52.5, 4.5, 3), { key: 'truck-7' });
      expect(lines(p.emitted)).toEqual([
        'flowgate.alarms truck-7 {"vehicle":"truck-7","fence":"depot","type":"enter","ts":1}',
        'flowgate.alarms truck-7 {"vehicle":"truck-7","fence":"depot","type":"leave","ts":3}',
      ]);
      expect(p.state('inside').get('truck-7')).toBeUndefined();

      // A user draws a fence where the truck is: its next position enters it.
      await drawFences([{ id: 'depot', polygon: square(52, 4, 0.1) }, { id: 'harbour', polygon: square(52.4, 4.4, 0.2) }]);
      await p.send(position(52.5, 4.5, 4), { key: 'truck-7' });
      expect(lines(p.emitted).slice(2)).toEqual(['flowgate.alarms truck-7 {"vehicle":"truck-7","fence":"harbour","type":"enter","ts":4}']);
      expect(p.state('inside').get('truck-7')).toEqual(['harbour']);

      // A new rule version (alarms carry the fence count too) serves the next record, state kept.
      const rules = shipped('geofence-rules', 'geofence-rules', 2);
      await scripts.activate({ ...rules, source: rules.source.replace("type: 'leave', ts", "type: 'leave', ts, fences: fences.length") });
      await p.send(position(52.9, 4.9, 5), { key: 'truck-7' });
      expect(lines(p.emitted).slice(3)).toEqual(['flowgate.alarms truck-7 {"vehicle":"truck-7","fence":"harbour","type":"leave","ts":5,"fences":2}']);
    });

    it('alert-routing: v1 sends enter to SMS and e-mail, leave to e-mail; v2 adds push and switches leave off', async () => {
      const p = jobPartition(alertRoutingJob(topic), { scripts });
      const enter = { vehicle: 'truck-7', fence: 'depot', type: 'enter', ts: 1 };
      const leave = { ...enter, type: 'leave', ts: 2 };
      await p.send(enter);
      await p.send(leave);
      await scripts.activate(shipped('alert-routing', 'alert-routing.v2', 2));
      await p.send(enter);
      await p.send(leave);
      expect(p.emitted.map((r) => `${r.topic} ${String(r.key)} ${JSON.parse(String(r.value)).type}`)).toEqual([
        'flowgate.alerts-sms truck-7 enter',
        'flowgate.alerts-email truck-7 enter',
        'flowgate.alerts-email truck-7 leave',
        'flowgate.alerts-sms truck-7 enter',
        'flowgate.alerts-email truck-7 enter',
        'flowgate.alerts-push truck-7 enter',
      ]);
    });
  });
});
