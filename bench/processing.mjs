// Exactly-once against at-least-once, side by side in one run: two flowgate deployments on the
// same Kafka (topic prefixes of their own), the same but for FLOWGATE_PROCESSING, offered the
// same open-loop load of keyed counter increments (POST /v1/counter over COUNTER_KEYS keys),
// rate by rate, the two modes interleaved so that noise from the machine is shared. Used by
// tools/dev/bench.mjs; the report section is processingMarkdown().
import { sumSeries } from './lib/metrics-text.mjs';

export const COUNTER_KEYS = 64;
export const MODES = [
  { mode: 'exactly_once', short: 'eos', prefix: 'bench-eos.', ports: { gateway: 18182, processor: 18183, gatewayAdmin: 18176 } },
  { mode: 'at_least_once', short: 'alos', prefix: 'bench-alos.', ports: { gateway: 18184, processor: 18185, gatewayAdmin: 18177 } },
];

/** Keys of this run (fresh ones each run, so the final check holds on a reused Kafka too). */
export const counterKeys = (run, keys = COUNTER_KEYS) => Array.from({ length: keys }, (_, i) => `bench-${run}-${i}`);

async function scrape(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
  return {
    batches: sumSeries(text, 'flowgate_processor_batch_commits_total', { job: 'counter', result: 'committed' }),
    records: sumSeries(text, 'flowgate_processor_records_total', { route: 'counter', result: 'processed' }),
  };
}

/**
 * Runs the comparison. `deps` comes from bench.mjs: `start(label, app, env)` (a tracked child),
 * `ready(url, child)`, `createTopics(envs)`, `offer(url, rate, seconds, bodies)` (the load
 * generator), `cpu(pids)`, `settle(pids)`, `log`. Returns what goes into results.processing.
 */
export async function compareProcessing({ baseEnv, rates, stepSeconds, budgetMs, deps }) {
  const keys = counterKeys(Date.now().toString(36));
  // One increment per key in turn: the load spreads over every partition's state.
  const bodies = keys.map((key) => JSON.stringify({ key, by: 1 }));
  const deployments = [];
  // Every increment offered, warm-up included, to check the counters against at the end.
  const offered = { exactly_once: { sent: 0, ok: 0 }, at_least_once: { sent: 0, ok: 0 } };
  const offer = async (d, rate, seconds) => {
    const r = await deps.offer(d.url, rate, seconds, bodies);
    offered[d.mode].sent += r.sent;
    offered[d.mode].ok += r.ok;
    return r;
  };
  const envs = MODES.map((m) => ({
    ...baseEnv,
    FLOWGATE_TOPIC_PREFIX: m.prefix,
    FLOWGATE_GATEWAY_PORT: String(m.ports.gateway),
    FLOWGATE_ADMIN_PORT: String(m.ports.gatewayAdmin),
    FLOWGATE_PROCESSOR_PORT: String(m.ports.processor),
    FLOWGATE_PROCESSING: m.mode,
  }));
  // All topics first, then the apps: topics created while a processor creates its own can fail the admin's metadata call.
  await deps.createTopics(envs);
  MODES.forEach((m, i) => {
    const processor = deps.start(`processor ${m.short}`, 'processor', envs[i]);
    const gateway = deps.start(`gateway ${m.short}`, 'gateway', envs[i]);
    deployments.push({ ...m, processor, gateway, url: `http://127.0.0.1:${m.ports.gateway}`, pids: () => [processor.pid, gateway.pid] });
  });
  for (const d of deployments) {
    await deps.ready(`http://127.0.0.1:${d.ports.processor}/readyz`, d.processor);
    await deps.ready(`${d.url}/readyz`, d.gateway);
    // Every partition restored and answering: a trickle until a whole second of it comes back.
    for (let attempt = 0; ; attempt++) {
      const r = await offer(d, 50, 1);
      if (r.ok === r.sent) break;
      if (attempt === 30) throw new Error(`${d.mode} never answered every counter increment (last: ${JSON.stringify(r.statuses)})`);
    }
    // Warm-up (JIT, connections, Kafka's transaction paths), as the echo systems get.
    await offer(d, 300, 2);
    await offer(d, 1000, 3);
  }

  const rows = [];
  for (const rate of rates) {
    for (const d of deployments) {
      const before = await scrape(d.ports.processor);
      const cpu0 = deps.cpu(d.pids());
      const r = await offer(d, rate, stepSeconds);
      const cpu = deps.cpu(d.pids()) - cpu0;
      await deps.settle(d.pids());
      const after = await scrape(d.ports.processor);
      const batches = after.batches - before.batches;
      const row = {
        mode: d.mode, rate, sent: r.sent, ok: r.ok, throughput: r.throughput, p50: r.p50, p99: r.p99, p999: r.p999,
        okInTimeShare: r.okInTimeShare, statuses: r.statuses, cpuPer1k: (cpu / Math.max(1, r.ok)) * 1000,
        batches, recordsPerBatch: batches > 0 ? (after.records - before.records) / batches : undefined,
      };
      row.passed = row.p99 <= budgetMs && row.ok === row.sent;
      // As for the echo systems: sustained = every answer 200, 95% of them by 1 s after the last was due.
      row.sustained = row.ok === row.sent && row.okInTimeShare >= 0.95;
      rows.push(row);
      deps.log(`counter ${d.mode} @ ${rate}/s: ${row.throughput.toFixed(0)} ok/s, p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, ` +
        `non-200 ${row.sent - row.ok}, ${row.recordsPerBatch?.toFixed(1) ?? '–'} records per batch, CPU ${row.cpuPer1k.toFixed(3)} s/1k`);
    }
  }
  // Without crashes both modes must be exact: the counters add up to the increments answered 200
  // (plus, at most, those that timed out at the gateway but were processed anyway).
  const exact = {};
  for (const d of deployments) {
    let total = 0;
    for (const key of keys) {
      const res = await fetch(`${d.url}/v1/counter-get`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
      total += (await res.json()).value;
    }
    const { sent, ok } = offered[d.mode];
    exact[d.mode] = { counted: total, ok, sent, consistent: ok === sent ? total === ok : ok <= total && total <= sent };
  }
  return { rates, keys: COUNTER_KEYS, rows, exact, summary: summarize(rows, rates) };
}

/** Exactly-once ÷ at-least-once per rate, and each mode's highest rate within the p99 budget. */
export function summarize(rows, rates) {
  const at = (mode, rate) => rows.find((r) => r.mode === mode && r.rate === rate);
  const ratios = rates
    .map((rate) => ({ rate, eos: at('exactly_once', rate), alos: at('at_least_once', rate) }))
    .filter(({ eos, alos }) => eos && alos)
    .map(({ rate, eos, alos }) => ({
      rate,
      throughput: eos.throughput / alos.throughput,
      p50: eos.p50 / alos.p50,
      p99: eos.p99 / alos.p99,
      cpuPer1k: eos.cpuPer1k / alos.cpuPer1k,
    }));
  /** The highest rate of the ladder whose step, and every step below it, met `ok`. */
  const highest = (mode, ok) => {
    let best;
    for (const rate of rates) {
      const row = at(mode, rate);
      if (!row || !ok(row)) break;
      best = row;
    }
    return best ? { rate: best.rate, throughput: best.throughput, p50: best.p50, p99: best.p99 } : undefined;
  };
  const ratio = (a, b) => (a && b ? a.throughput / b.throughput : undefined);
  const capacity = { exactly_once: highest('exactly_once', (r) => r.passed), at_least_once: highest('at_least_once', (r) => r.passed) };
  const sustained = { exactly_once: highest('exactly_once', (r) => r.sustained), at_least_once: highest('at_least_once', (r) => r.sustained) };
  return {
    ratios,
    capacity,
    capacityRatio: ratio(capacity.exactly_once, capacity.at_least_once),
    sustained,
    sustainedRatio: ratio(sustained.exactly_once, sustained.at_least_once),
  };
}

const fmt = (v, digits = 2) => (v === undefined || v === null || !Number.isFinite(v) ? '–' : v.toFixed(digits));

/** The report section (bench/results/latest.md). */
export function processingMarkdown(processing, budgetMs) {
  if (!processing) return [];
  const { rows, summary, exact, keys } = processing;
  const lines = ['', `## Keyed counter: exactly-once vs at-least-once`, ''];
  lines.push(`POST /v1/counter over ${keys} keys; two deployments on the same Kafka, FLOWGATE_PROCESSING the only difference, steps interleaved.`, '');
  lines.push(`| offered/s | mode | ok/s | p50 ms | p99 ms | non-200 | records per batch | CPU s / 1k req (gateway + processor) |`);
  lines.push(`|---:|---|---:|---:|---:|---:|---:|---:|`);
  for (const r of rows) {
    lines.push(`| ${r.rate} | ${r.mode} | ${fmt(r.throughput, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.sent - r.ok} | ${fmt(r.recordsPerBatch, 1)} | ${fmt(r.cpuPer1k, 3)} |`);
  }
  lines.push('', `| offered/s | exactly-once ÷ at-least-once: ok/s | p50 | p99 | CPU per request |`, `|---:|---:|---:|---:|---:|`);
  for (const r of summary.ratios) lines.push(`| ${r.rate} | ${fmt(r.throughput)}× | ${fmt(r.p50)}× | ${fmt(r.p99)}× | ${fmt(r.cpuPer1k)}× |`);
  const cap = (c) => (c ? `${c.rate}/s (${fmt(c.throughput, 0)} ok/s, p50 ${fmt(c.p50)} ms, p99 ${fmt(c.p99)} ms)` : 'none of the rates');
  const top = rows.length ? Math.max(...rows.map((r) => r.rate)) : 0;
  const ratioText = (v) => (v === undefined ? '' : ` (exactly-once ÷ at-least-once ${fmt(v)}×)`);
  lines.push('', `Highest offered rate sustained (every answer 200, 95% within 1 s of the schedule's end; the ladder stops at ${top}/s): ` +
    `exactly-once ${cap(summary.sustained.exactly_once)}, at-least-once ${cap(summary.sustained.at_least_once)}${ratioText(summary.sustainedRatio)}.`);
  lines.push(`Highest offered rate with p99 ≤ ${budgetMs} ms and every answer 200: exactly-once ${cap(summary.capacity.exactly_once)}, ` +
    `at-least-once ${cap(summary.capacity.at_least_once)}${ratioText(summary.capacityRatio)}.`);
  lines.push(`Counters after the run (no crashes, so both must be exact): ${Object.entries(exact)
    .map(([mode, e]) => `${mode} ${e.counted} counted for ${e.ok} increments answered 200 of ${e.sent} sent (${e.consistent ? 'consistent' : 'NOT consistent'})`).join('; ')}.`);
  return lines;
}
