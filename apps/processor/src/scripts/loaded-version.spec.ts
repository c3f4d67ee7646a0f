import type { ScriptVersionRecord } from '@flowgate/contracts';
import type { LoadedScript } from '@flowgate/scripts';
import { LoadedVersion } from './loaded-version';

const record: ScriptVersionRecord = { name: 's', version: 1, source: 'x', manifest: { kind: 'route' }, sha256: 'ab', uploadedAt: 't', uploadedBy: 'u' };
const ctx = { id: 'r1', timestamp: 0, deadline: Infinity };

/** A sandbox whose calls end when the test says, and that refuses calls once disposed (as a pool refuses its waiting calls). */
function fakeScript() {
  const finishers: ((value: unknown) => void)[] = [];
  let disposals = 0;
  const script: LoadedScript = {
    name: 's', version: 1, manifest: { kind: 'route' },
    call: () => (disposals > 0 ? Promise.reject(new Error('unloaded')) : new Promise((resolve) => finishers.push(resolve))),
    dispose: async () => {
      disposals++;
    },
  };
  return { script, finish: (i: number, value: unknown) => finishers[i](value), disposals: () => disposals };
}

describe('LoadedVersion', () => {
  it('disposes a retired version only after every call that started on it has finished there', async () => {
    const fake = fakeScript();
    const loaded = new LoadedVersion(record, fake.script, () => undefined);
    const first = loaded.call({}, ctx, {});
    const second = loaded.call({}, ctx, {});
    loaded.retire();
    fake.finish(0, 'one');
    await expect(first).resolves.toBe('one');
    expect(fake.disposals()).toBe(0);
    fake.finish(1, 'two');
    await expect(second).resolves.toBe('two');
    expect(fake.disposals()).toBe(1);
  });

  it('disposes at once when nothing runs, and once only', async () => {
    const fake = fakeScript();
    const loaded = new LoadedVersion(record, fake.script, () => undefined);
    loaded.retire();
    await loaded.dispose();
    expect(fake.disposals()).toBe(1);
    expect(loaded.label).toBe('s@1');
  });
});
