import { describe, expect, it } from '@jest/globals';
import { cpuWaitMarkdown, crossCheckMarkdown, roundsMarkdown, roundTargets, showSpread } from './rounds-report.mjs';

const systems = ['flowgate', 'nest', 'floor', 'fastify'].map((key) => ({ key, name: key, processes: [] }));
/** A step row as tools/dev/bench.mjs writes it, with the figures the report reads. */
const step = (key, rate, round, { cpu, p50 = 3, p99 = 10, generator = 'own' }) =>
  ({ key, system: key, rate, round, generator, p50, p99, throughput: rate, ok: rate, sent: rate, cpu: { system: cpu, app: cpu / 2, kafka: cpu / 2, generator: 0.1, machine: cpu + 0.1 } });

function results({ flowgateCpu, nestCpu, floorCpu, flowgateP50 = [3, 3, 3], floorP50 = [2, 2, 2], capacities }) {
  const steps = [];
  for (let round = 0; round < 3; round++) {
    for (const rate of [1000, 2000]) {
      steps.push(step('flowgate', rate, round, { cpu: flowgateCpu[round], p50: flowgateP50[round] }));
      steps.push(step('nest', rate, round, { cpu: nestCpu[round] }));
      steps.push(step('floor', rate, round, { cpu: floorCpu[round], p50: floorP50[round] }));
    }
  }
  // Each step's ok/s a little under its offered rate, as in a real run: the ratio goes by the rates.
  const cap = (rates) => rates.map((rate, round) => (rate ? { round, passed: true, rate, throughput: rate * 0.9995 } : { round, passed: false, lowestTried: 125 }));
  return {
    systems, steps, rounds: 3, budgetMs: 50, fixedRates: [1000, 2000], skipped: [],
    capacityRounds: { flowgate: cap(capacities.flowgate), nest: cap(capacities.nest) },
  };
}

describe('bench rounds report: targets judged on the median of paired per-round ratios', () => {
  const run = results({
    // Round 2 is noisy for flowgate alone: its ratio to the peer is over the bound there only.
    flowgateCpu: [0.6, 0.62, 1.2], nestCpu: [1, 1, 1], floorCpu: [0.5, 0.6, 0.55],
    capacities: { flowgate: [3000, 2000, 3000], nest: [1000, 1500, 1000] },
  });
  const byName = Object.fromEntries(roundTargets(run).map((t) => [t.name, t]));

  it('meets the CPU target against the peer on the median ratio, and says one round missed it', () => {
    expect(byName['flowgate ÷ the NestJS peer: whole-system CPU per request at 1000/s']).toMatchObject({ met: true, k: 2, n: 3, value: '0.62× (0.60×–1.20×)' });
  });

  it('fails the CPU target against the floor when the median ratio is over 1.1 even though one round met it', () => {
    // Ratios 1.2, 1.03, 2.18: median 1.2.
    expect(byName['flowgate ÷ the Kafka floor: whole-system CPU per request at 2000/s']).toMatchObject({ met: false, k: 1, n: 3 });
  });

  it('judges the capacity ratio per round (3, 1.33, 3: median 3, met in 2 of 3)', () => {
    expect(byName['flowgate p99 ≤ 50 ms at 2 × the NestJS peer\'s p99 capacity (capacity ratio)']).toMatchObject({ met: true, k: 2, n: 3 });
  });

  it('compares offered rates: 500 vs 250/s is 2×, met, though each step\'s ok/s is a little under its rate', () => {
    const even = roundTargets(results({ flowgateCpu: [1, 1, 1], nestCpu: [1, 1, 1], floorCpu: [1, 1, 1], capacities: { flowgate: [500, 500, 250], nest: [250, 250, 250] } }));
    expect(even.find((t) => t.name.includes('capacity ratio'))).toMatchObject({ met: true, k: 2, n: 3, value: '2.00× (1.00×–2.00×)' });
  });

  it('judges the p50 target against 1.5 × the floor\'s p50 + 1 ms', () => {
    expect(byName['flowgate p50 at 1000/s ÷ (1.5 × floor p50 + 1 ms)']).toMatchObject({ met: true, k: 3, n: 3, value: '0.75' });
    const slow = roundTargets(results({ flowgateCpu: [1, 1, 1], nestCpu: [1, 1, 1], floorCpu: [1, 1, 1], flowgateP50: [5, 3, 4.5], floorP50: [2, 2, 2], capacities: { flowgate: [1], nest: [1] } }));
    // 5 / 4 and 4.5 / 4 are over, 3 / 4 under: not met, 1 of 3.
    expect(slow.find((t) => t.name.startsWith('flowgate p50'))).toMatchObject({ met: false, k: 1, n: 3 });
  });

  it('takes the lowest rate tried as the peer\'s capacity when it passed no step (a lower bound of the ratio)', () => {
    const none = roundTargets(results({ flowgateCpu: [1, 1, 1], nestCpu: [1, 1, 1], floorCpu: [1, 1, 1], capacities: { flowgate: [500, 500, 500], nest: [0, 0, 0] } }));
    expect(none.find((t) => t.name.includes('capacity ratio'))).toMatchObject({ met: true, k: 3, n: 3, value: '4.00×' });
  });

  it('says n/a, not met, when a system of the comparison was not run', () => {
    const alone = { ...run, systems: systems.filter((s) => s.key !== 'nest') };
    expect(roundTargets(alone).find((t) => t.name.includes('NestJS peer: whole-system CPU per request at 1000/s'))).toMatchObject({ met: false, value: 'n/a (not both run)' });
  });
});

describe('bench rounds report: tables', () => {
  it('shows the median with min–max, or one value when the rounds agree or there is one', () => {
    expect(showSpread({ median: 2, min: 1, max: 3.5, n: 3 })).toBe('2.00 (1.00–3.50)');
    expect(showSpread({ median: 2, min: 2, max: 2, n: 2 })).toBe('2.00');
    expect(showSpread({ n: 0 })).toBe('–');
  });

  it('gives the first table flowgate\'s paired CPU ratio to every other system', () => {
    const run = results({ flowgateCpu: [0.6, 0.6, 0.6], nestCpu: [1, 1.2, 2], floorCpu: [0.5, 0.5, 0.5], capacities: { flowgate: [1], nest: [1] } });
    const nestRow = roundsMarkdown(run).find((l) => l.startsWith('| 1000 | nest |'));
    expect(nestRow).toContain('| 0.50× (0.30×–0.60×) |');
    expect(roundsMarkdown(run).find((l) => l.startsWith('| 2000 | fastify |'))).toContain('not run');
  });

  it("gives each system's main-thread waits for a CPU, summed and by process, as median (min–max) of the rounds", () => {
    const waits = [{ gateway: 0.2, processor: 0.1 }, { gateway: 0.4, processor: 0.3 }, { gateway: 0.3, processor: 0.2 }];
    const steps = waits.map((cpuWaitMs, round) => ({ ...step('flowgate', 1000, round, { cpu: 1 }), cpuWaitMs }));
    const lines = cpuWaitMarkdown({ systems, steps, rounds: 3, fixedRates: [1000] });
    expect(lines.filter((l) => l.startsWith('| 1000 |'))).toEqual([
      '| 1000 | flowgate | 0.500 (0.300–0.700) | gateway 0.300 (0.200–0.400), processor 0.200 (0.100–0.300) |',
    ]);
    // Results of runs before the figure existed: no section.
    expect(cpuWaitMarkdown({ systems, steps: steps.map((row) => ({ ...row, cpuWaitMs: undefined })), rounds: 3, fixedRates: [1000] })).toEqual([]);
  });

  it('lists both generators per system and rate in the cross-check, or why it did not run', () => {
    const rows = [0, 1].flatMap((round) => ['own', 'vegeta'].map((generator) => ({
      ...step('flowgate', 1000, round, { cpu: 1, generator }), connections: { peak: generator === 'own' ? 40 : 12, opened: 40 },
      byStatusFromSend: generator === 'own' ? { 200: { p50: 2, p99: 8 } } : undefined,
      clientQueue: generator === 'own' ? { maxWaiting: 10 * round } : undefined, otherCpuPct: 100 + round,
    })));
    const lines = crossCheckMarkdown({ systems, crossCheck: { generators: ['own', 'vegeta'], rates: [1000], rounds: 2, vegeta: 'v12.13.0', rows } });
    expect(lines.filter((l) => l.startsWith('| 1000 | flowgate |'))).toEqual([
      '| 1000 | flowgate | own | 1000 | 100.00% | 3.00 | 10.0 | 2.00 / 8.00 | 5 (0–10) | 0.100 | 1.000 | 40 / 40 | 101 (100–101) |',
      '| 1000 | flowgate | vegeta | 1000 | 100.00% | 3.00 | 10.0 |  |  | 0.100 | 1.000 | 12 / 40 | 101 (100–101) |',
    ]);
    expect(crossCheckMarkdown({ crossCheck: { skipped: 'no Go' } })).toContain('Not run: no Go.');
    expect(crossCheckMarkdown({})).toEqual([]);
  });
});
