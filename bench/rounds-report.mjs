// The parts of the bench report that come from rounds: the first table (CPU per request of the
// whole system, the primary efficiency figure, and latency, as median and min–max over the
// rounds, with flowgate's ratios), the targets judged on the median with "met in k of n rounds",
// and the cross-check of our load generator against vegeta. Pure: results in, rows or lines out.
import { judge, pairedRatios, perRound, spread } from './lib/rounds.mjs';

const fixed = (v, digits) => (v === undefined || v === null || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const ms = (v) => (!Number.isFinite(v) ? '–' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
/** "median (min–max)" of a spread, `format` for each number; the median alone for one round. */
export const showSpread = (s, format = ms) => (s.n === 0 ? '–' : s.n === 1 || s.min === s.max ? format(s.median) : `${format(s.median)} (${format(s.min)}–${format(s.max)})`);
const cpuText = (s) => showSpread(s, (v) => fixed(v, 3));
const ratioText = (s) => showSpread(s, (v) => `${fixed(v, 2)}×`);

const roundsOf = (results) => results.rounds ?? 1;
// Results of a run before rounds existed: one round, 0.
const inRound = (rows) => rows.map((r) => ({ ...r, round: r.round ?? 0 }));

/** One figure of `key` at `rate`, per round, from the steps (undefined where that round has none). */
export function series(results, key, rate, pick, rows = results.steps) {
  return perRound(inRound(rows.filter((r) => r.key === key && r.rate === rate && (r.generator ?? 'own') === 'own')), roundsOf(results), pick);
}

const systemCpu = (row) => row.cpu?.system;

/** Capacity throughput per round (0 where no step passed), from the step search of every round. */
/**
 * Each round's capacity of `key`: the highest offered rate of the ladder it held (0: none). The
 * offered rate, not the ok/s: a step's ok/s ends a little under its rate as the window closes, and
 * 499.8 / 250.0 ok/s must read as the 2× that 500 / 250 is.
 */
function capacitySeries(results, key) {
  const caps = results.capacityRounds?.[key] ?? (results.capacity?.[key] ? [{ round: 0, ...results.capacity[key] }] : []);
  return perRound(caps, roundsOf(results), (c) => (c.passed ? c.rate : 0));
}

/**
 * The issue's targets over rounds, each { name, target, value, met, detail, k, n }: judged on the
 * median of the per-round values (ratios paired within a round, whose noise both sides share).
 */
export function roundTargets(results) {
  const { budgetMs } = results;
  const out = [];
  const has = (key) => results.systems.some((s) => s.key === key);
  const push = ({ name, target, values, meets, show, detail }) => {
    const j = judge(values, meets);
    out.push({ name, target, value: j.n === 0 ? 'n/a (not measured in any round)' : show(j), met: j.met, k: j.k, n: j.n, detail });
  };

  for (const [peer, label, bound] of [['nest', 'the NestJS peer', 0.75], ['floor', 'the Kafka floor', 1.1]]) {
    for (const rate of [1000, 2000]) {
      const name = `flowgate ÷ ${label}: whole-system CPU per request at ${rate}/s`;
      if (!has('flowgate') || !has(peer)) {
        out.push({ name, target: `≤ ${bound}`, value: 'n/a (not both run)', met: false, k: 0, n: 0 });
        continue;
      }
      const fg = series(results, 'flowgate', rate, systemCpu);
      const other = series(results, peer, rate, systemCpu);
      push({
        name, target: `≤ ${bound}`, values: pairedRatios(fg, other), meets: (v) => v <= bound, show: (j) => ratioText(j),
        detail: `flowgate ${cpuText(spread(fg))} vs ${cpuText(spread(other))} CPU ms per request`,
      });
    }
  }

  const capName = `flowgate p99 ≤ ${budgetMs} ms at 2 × the NestJS peer's p99 capacity (capacity ratio)`;
  if (!has('flowgate') || !has('nest')) out.push({ name: capName, target: '≥ 2', value: 'n/a (not both run)', met: false, k: 0, n: 0 });
  else {
    const fg = capacitySeries(results, 'flowgate');
    // A peer that passed no step has no capacity: flowgate's figure over the lowest rate tried
    // is then a lower bound of the ratio.
    const nest = capacitySeries(results, 'nest').map((v, round) =>
      (v === 0 ? results.capacityRounds?.nest?.find((c) => c.round === round)?.lowestTried : v));
    push({
      name: capName, target: '≥ 2', values: pairedRatios(fg, nest), meets: (v) => v >= 2, show: (j) => ratioText(j),
      detail: `capacity (offered/s): flowgate ${showSpread(spread(fg), (v) => fixed(v, 0))}, NestJS ${showSpread(spread(nest), (v) => fixed(v, 0))}`,
    });
  }

  const p50Name = 'flowgate p50 at 1000/s ÷ (1.5 × floor p50 + 1 ms)';
  if (!has('flowgate') || !has('floor')) out.push({ name: p50Name, target: '≤ 1', value: 'n/a (not both run)', met: false, k: 0, n: 0 });
  else {
    const fg = series(results, 'flowgate', 1000, (r) => r.p50);
    const floor = series(results, 'floor', 1000, (r) => r.p50);
    push({
      name: p50Name, target: '≤ 1', values: pairedRatios(fg, floor.map((v) => (Number.isFinite(v) ? 1.5 * v + 1 : v))), meets: (v) => v <= 1,
      show: (j) => showSpread(j, (v) => fixed(v, 2)),
      detail: `p50 ms: flowgate ${showSpread(spread(fg))}, floor ${showSpread(spread(floor))}`,
    });
  }
  return out;
}

/** The report's first table: per fixed rate and system, CPU per request by role and latency over the rounds. */
export function roundsMarkdown(results) {
  const n = roundsOf(results);
  const lines = [`## CPU per request and latency at fixed offered loads: median (min–max) of ${n} round${n === 1 ? '' : 's'}`, ''];
  lines.push('CPU ms per answered request, from /proc/<pid>/stat over each step: whole system = the apps (gateway, processor and Redis; the NestJS pair; ' +
    'the floor\'s client and echo; Fastify) + Kafka above its idle use; the generator (our bench/load.mjs; the floor\'s client is its own) apart; ' +
    'whole machine = both. The systems ran in turn within each round, their order rotating from round to round. ' +
    'Ratios are paired within a round (its noise is in both), then the median taken.', '');
  lines.push('| offered/s | system | whole system CPU ms/req | apps | Kafka above idle | Kafka with idle | generator | whole machine | flowgate ÷ this (whole system) | p50 ms | p99 ms | ok/s |');
  lines.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const rate of results.fixedRates) {
    const fg = series(results, 'flowgate', rate, systemCpu);
    for (const system of results.systems) {
      const of = (pick) => spread(series(results, system.key, rate, pick));
      const cpu = series(results, system.key, rate, systemCpu);
      if (spread(cpu).n === 0) {
        const skipped = results.skipped.find((s) => s.key === system.key && s.rate === rate);
        lines.push(`| ${rate} | ${system.name} | ${skipped ? `skipped: ${skipped.reason}` : 'not run'} | | | | | | | | | |`);
        continue;
      }
      const ratio = system.key === 'flowgate' ? '1' : ratioText(spread(pairedRatios(fg, cpu)));
      lines.push(`| ${rate} | ${system.name} | ${cpuText(spread(cpu))} | ${cpuText(of((r) => r.cpu?.app))} | ${cpuText(of((r) => r.cpu?.kafka))} | ${cpuText(of((r) => r.cpu?.kafkaTotal))} | ` +
        `${cpuText(of((r) => r.cpu?.generator))} | ${cpuText(of((r) => r.cpu?.machine))} | ${ratio} | ${showSpread(of((r) => r.p50))} | ${showSpread(of((r) => r.p99))} | ` +
        `${showSpread(of((r) => r.throughput), (v) => fixed(v, 0))} |`);
    }
  }
  return lines;
}

/**
 * How long each system's processes' main threads (Node's event loops; Redis) were ready to run
 * but waited for a CPU, ms per answered request (`cpuWaitMs` of each step): delay that CPU
 * contention alone adds to the requests they carry. Empty for results without the figure.
 */
export function cpuWaitMarkdown(results) {
  const rows = [];
  for (const rate of results.fixedRates) {
    for (const system of results.systems) {
      const waits = series(results, system.key, rate, (r) => r.cpuWaitMs);
      const names = [...new Set(waits.flatMap((w) => Object.keys(w ?? {})))];
      if (names.length === 0) continue;
      const total = spread(waits.map((w) => (w ? Object.values(w).reduce((a, b) => a + b, 0) : undefined)));
      const each = names.map((name) => `${name} ${cpuText(spread(waits.map((w) => w?.[name])))}`).join(', ');
      rows.push(`| ${rate} | ${system.name} | ${cpuText(total)} | ${each} |`);
    }
  }
  if (rows.length === 0) return [];
  return ['', '## Main threads waiting for a CPU: median (min–max) of the rounds', '',
    'ms per answered request that each process\'s main thread (a Node event loop; Redis) was ready to run but waited for a CPU (/proc/<pid>/schedstat): ' +
    'delay CPU contention alone adds to the requests it carries.', '',
    '| offered/s | system | all its processes | by process |', '|---:|---|---:|---|', ...rows];
}

/** The targets table, each judged on its median with the rounds that met it on their own. */
export function targetsMarkdown(targets) {
  const lines = ['| target | value (median, min–max) | | rounds met | detail |', '|---|---|---|---:|---|'];
  for (const t of targets) {
    lines.push(`| ${t.name} (${t.target}) | ${t.value} | ${t.met ? 'met' : 'NOT met'} | ${t.n === undefined ? '' : `${t.k} of ${t.n}`} | ${t.detail ?? ''} |`);
  }
  return lines;
}

/** Both generators' figures per system and rate, median (min–max) over the rounds, and what differs. */
export function crossCheckMarkdown(results) {
  const check = results.crossCheck;
  if (!check) return [];
  if (check.skipped) return ['', '## Cross-check with vegeta', '', `Not run: ${check.skipped}.`];
  const lines = ['', `## Cross-check: our generator and vegeta ${check.vegeta}, ${check.rounds} round${check.rounds === 1 ? '' : 's'}`, ''];
  lines.push('Both at the same rates against the same processes, one after the other (the generators\' order rotating per round). ' +
    'Our latency runs from each request\'s due time (a late send counts); vegeta\'s, and ours "from send", from when the request was sent. ' +
    'Connections: the server port\'s ESTABLISHED sockets in /proc/net/tcp{,6}, sampled every 250 ms (peak at once / distinct ones seen). ' +
    'Generator CPU: its own process (vegeta: user + system of all its threads). Ours holds at most 256 connections and queues requests beyond them ' +
    '(most waiting at once below); vegeta opens another connection instead. Other CPU: what the rest of the machine used meanwhile, in % of one core.', '');
  lines.push('| offered/s | system | generator | ok/s | success | p50 ms | p99 ms | ours from send p50 / p99 ms | ours: most waiting for a connection | generator CPU ms/req | whole system CPU ms/req | connections peak / seen | other CPU % |');
  lines.push('|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const systems = results.systems.filter((s) => check.rows.some((r) => r.key === s.key));
  const rowsOf = (key, rate, generator) => inRound(check.rows.filter((r) => r.key === key && r.rate === rate && r.generator === generator));
  const figure = (rows, pick) => spread(perRound(rows, check.rounds, pick));
  for (const rate of check.rates) {
    for (const system of systems) {
      for (const generator of check.generators) {
        const rows = rowsOf(system.key, rate, generator);
        if (rows.length === 0) continue;
        const of = (pick) => figure(rows, pick);
        const fromSend = generator === 'own'
          ? `${showSpread(of((r) => r.byStatusFromSend?.['200']?.p50))} / ${showSpread(of((r) => r.byStatusFromSend?.['200']?.p99))}` : '';
        const waiting = generator === 'own' ? showSpread(of((r) => r.clientQueue?.maxWaiting), (v) => fixed(v, 0)) : '';
        lines.push(`| ${rate} | ${system.name} | ${generator} | ${showSpread(of((r) => r.throughput), (v) => fixed(v, 0))} | ` +
          `${showSpread(of((r) => r.ok / r.sent), (v) => `${fixed(100 * v, 2)}%`)} | ${showSpread(of((r) => r.p50))} | ${showSpread(of((r) => r.p99))} | ${fromSend} | ${waiting} | ` +
          `${cpuText(of((r) => r.cpu?.generator))} | ${cpuText(of((r) => r.cpu?.system))} | ` +
          `${showSpread(of((r) => r.connections?.peak), (v) => fixed(v, 0))} / ${showSpread(of((r) => r.connections?.opened), (v) => fixed(v, 0))} | ` +
          `${showSpread(of((r) => r.otherCpuPct), (v) => fixed(v, 0))} |`);
      }
    }
  }
  return lines;
}
