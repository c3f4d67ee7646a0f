// Turns the results of `npm run bench` into the markdown report and the target ratios.
//   node bench/report.mjs [bench/results/latest.json]    prints the report of a results file

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { processingMarkdown } from './processing.mjs';
import { authMarkdown } from './auth-cost.mjs';
import { registryMarkdown } from './registry-cost.mjs';
import { overloadMarkdown, overloadTargets } from './overload.mjs';

const ms = (v) => (v === undefined || v === null || !Number.isFinite(v) ? '–' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const num = (v, digits = 0) => (v === undefined || v === null || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const statusText = (row) =>
  Object.entries(row.statuses)
    .filter(([code]) => code !== '200')
    .map(([code, n]) => `${n}×${code}`)
    .join(' ') || '0';

/** The target ratios of the issue, from one run's results. */
export function targets(results) {
  const { capacity, steps, overload, budgetMs } = results;
  const fg = capacity.flowgate;
  const nest = capacity.nest;
  const at = (key, rate) => steps.find((s) => s.key === key && s.rate === rate);
  const out = [];

  const ratio = fg?.passed && nest?.passed ? fg.throughput / nest.throughput : undefined;
  if (!fg || !nest) {
    out.push({ name: `flowgate ÷ NestJS throughput at p99 ≤ ${budgetMs} ms`, value: 'n/a (not both run)', target: '≥ 2', met: false });
  } else out.push({
    name: `flowgate ÷ NestJS throughput at p99 ≤ ${budgetMs} ms`,
    value: ratio === undefined ? (fg?.passed ? `∞ (NestJS passed no step down to ${nest?.lowestTried ?? '–'}/s)` : 'n/a (flowgate passed no step)') : `${ratio.toFixed(2)}×`,
    detail: `${num(fg?.throughput)} / ${num(nest?.throughput)} ok/s (offered ${fg?.rate ?? '–'} / ${nest?.rate ?? '–'})`,
    target: '≥ 2',
    met: ratio === undefined ? Boolean(fg?.passed) : ratio >= 2,
  });

  const fg1000 = at('flowgate', 1000);
  const floor1000 = at('floor', 1000);
  if (fg1000 && floor1000) {
    const bound = 1.5 * floor1000.p50 + 1;
    out.push({
      name: 'flowgate p50 at 1000/s vs 1.5 × floor p50 + 1 ms',
      value: `${ms(fg1000.p50)} ms vs ${ms(bound)} ms`,
      detail: `floor p50 ${ms(floor1000.p50)} ms; flowgate is ${(fg1000.p50 / floor1000.p50).toFixed(2)}× the floor`,
      target: '≤',
      met: fg1000.p50 <= bound,
    });
  } else {
    out.push({ name: 'flowgate p50 at 1000/s vs 1.5 × floor p50 + 1 ms', value: 'n/a (1000/s not measured for both)', target: '≤', met: false });
  }

  out.push(...overloadTargets(overload, budgetMs));
  return out;
}

export function markdown(results) {
  const { systems, steps, capacity, overload, budgetMs, fixedRates } = results;
  const lines = [];
  if (results.deaths?.length) {
    lines.push(`**Processes that exited during the run** (their system's later steps are skipped): ${results.deaths
      .map((d) => `${d.name} (${d.exit}, ${d.at})`).join('; ')}.`, '');
  }
  lines.push(`## Echo at fixed offered loads`, '');
  lines.push(`| offered/s | system | ok/s | p50 ms | p99 ms | p99.9 ms | non-200 | CPU s / 1k req | Kafka CPU above idle s / 1k req | p50 ÷ fastify |`);
  lines.push(`|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|`);
  for (const rate of fixedRates) {
    const ceiling = steps.find((s) => s.key === 'fastify' && s.rate === rate);
    for (const system of systems) {
      const row = steps.find((s) => s.key === system.key && s.rate === rate);
      if (!row) {
        const skipped = results.skipped.find((s) => s.key === system.key && s.rate === rate);
        lines.push(`| ${rate} | ${system.name} | ${skipped ? `skipped: ${skipped.reason}` : 'not run'} | | | | | | | |`);
        continue;
      }
      lines.push(
        `| ${rate} | ${system.name} | ${num(row.throughput)} | ${ms(row.p50)} | ${ms(row.p99)} | ${ms(row.p999)} | ${statusText(row)} | ${num(row.cpuPer1k, 3)} | ${num(row.kafkaCpuPer1k, 3)} | ${ceiling ? `${(row.p50 / ceiling.p50).toFixed(1)}×` : '–'} |`,
      );
    }
  }

  lines.push('', `### Where the time goes: p50 of each leg, from the echo answer's timestamps (Date.now(), ±1 ms)`, '');
  lines.push(`in = due → request_timestamp (the generator's own lag, waiting for a client connection, HTTP in, parse; for the floor: batching before the produce); ` +
    `to handler = request_timestamp → response_timestamp (produce, broker, consume, dispatch to the handler); ` +
    `back = response_timestamp → answer received (reply produce, broker, consume, HTTP out).`, '');
  lines.push(`| offered/s | system | in ms | to handler ms | back ms | total p50 ms |`, `|---:|---|---:|---:|---:|---:|`);
  for (const rate of fixedRates) {
    for (const system of systems) {
      const row = steps.find((s) => s.key === system.key && s.rate === rate);
      if (!row?.legs) continue;
      lines.push(`| ${rate} | ${system.name} | ${ms(row.legs.in?.p50)} | ${ms(row.legs.handler?.p50)} | ${ms(row.legs.back?.p50)} | ${ms(row.p50)} |`);
    }
  }

  const batching = steps.filter((r) => r.key === 'flowgate' && fixedRates.includes(r.rate) && r.counters?.gatewayProduceRequests > 0);
  if (batching.length > 0) {
    lines.push('', `flowgate's produce batching and event-loop delay (from its /metrics): ${batching.map((r) => {
      const c = r.counters;
      return `${r.rate}/s: gateway ${(c.gatewayProducedRecords / c.gatewayProduceRequests).toFixed(1)} records per produce request ` +
        `(${num(c.gatewayProduceRequests / r.wallS)}/s), processor ${(c.processorProducedRecords / c.processorProduceRequests).toFixed(1)} (${num(c.processorProduceRequests / r.wallS)}/s), ` +
        `event-loop delay p50/p99/max gateway ${ms(c.gatewayLoopDelayP50Ms)}/${ms(c.gatewayLoopDelayP99Ms)}/${ms(c.gatewayLoopDelayMaxMs)} ms, ` +
        `processor ${ms(c.processorLoopDelayP50Ms)}/${ms(c.processorLoopDelayP99Ms)}/${ms(c.processorLoopDelayMaxMs)} ms`;
    }).join('; ')}.`);
  }

  lines.push('', `## Highest throughput with p99 ≤ ${budgetMs} ms (step search: ${results.ladder.join(', ')} /s)`, '');
  lines.push(`Capacity = the highest step with p99 ≤ ${budgetMs} ms and every answer a 200; each system climbs until a step it does not sustain (a non-200, or under 95% answered within 1 s of the last due time).`, '');
  lines.push(`| system | capacity (offered/s) | ok/s | p50 ms | p99 ms | CPU s / 1k req | first step over budget | highest rate sustained at any latency (p99) | peak RSS MiB per process (steps) |`);
  lines.push(`|---|---:|---:|---:|---:|---:|---|---|---|`);
  for (const system of systems) {
    const cap = capacity[system.key];
    const failed = cap?.failedAt;
    const failText = failed ? `${failed.rate}/s: p99 ${ms(failed.p99)} ms, ${num(failed.throughput)} ok/s, non-200 ${statusText(failed)}` : 'none (ladder exhausted)';
    const rss = system.processes.map((p) => `${p}: ${num(results.peakRss[p])}`).join(', ');
    const sustained = cap?.sustainedRate
      ? `${cap.sustainedRate}${cap.notSustainedAt ? '' : ' (≥)'}/s, ${num(cap.sustainedThroughput)} ok/s (${ms(cap.sustainedP99)} ms)${cap.notSustainedAt ? `; not at ${cap.notSustainedAt}/s` : ''}`
      : `none${cap?.notSustainedAt ? `; not at ${cap.notSustainedAt}/s` : ''}`;
    if (!cap?.passed) {
      lines.push(`| ${system.name} | < ${cap?.lowestTried ?? '–'} | – | – | – | – | ${failText} | ${sustained} | ${rss} |`);
    } else {
      const exhausted = cap.rate === results.ladder[results.ladder.length - 1] ? ' (≥)' : '';
      lines.push(`| ${system.name} | ${cap.rate}${exhausted} | ${num(cap.throughput)} | ${ms(cap.p50)} | ${ms(cap.p99)} | ${num(cap.cpuPer1k, 3)} | ${failText} | ${sustained} | ${rss} |`);
    }
  }

  lines.push('', `### Every step`, '');
  lines.push(`| offered/s | system | ok/s | p50 ms | p99 ms | p99.9 ms | non-200 | CPU s / 1k req | generator lag p99 ms | other CPU on the machine % |`);
  lines.push(`|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|`);
  for (const row of [...steps].sort((a, b) => a.rate - b.rate || a.order - b.order)) {
    lines.push(`| ${row.rate} | ${row.system} | ${num(row.throughput)} | ${ms(row.p50)} | ${ms(row.p99)} | ${ms(row.p999)} | ${statusText(row)} | ${num(row.cpuPer1k, 3)} | ${ms(row.sendLag?.p99)} | ${num(row.otherCpuPct)} |`);
  }

  if (results.retried?.length) {
    lines.push('', `Over budget on a first attempt and run again (the table has the second): ${results.retried
      .map((r) => `${r.system} @ ${r.rate}/s (p99 ${ms(r.p99)} ms, ${statusText(r)} non-200)`).join('; ')}.`);
  }

  lines.push(...overloadMarkdown(overload, { budgetMs, flowgateEnv: results.flowgateEnv }));

  if (results.registry) lines.push('', registryMarkdown(results.registry));
  if (results.auth) lines.push('', authMarkdown(results.auth));
  lines.push(...processingMarkdown(results.processing, budgetMs));

  lines.push('', `## Targets`, '');
  lines.push(`| target | value | | detail |`, `|---|---|---|---|`);
  for (const t of targets(results)) lines.push(`| ${t.name} (${t.target}) | ${t.value} | ${t.met ? 'met' : 'NOT met'} | ${t.detail ?? ''} |`);

  lines.push('', `${results.stepSeconds} s per step, loopback, ${results.machine.cpus} CPUs, load average ${results.machine.loadBefore.map((l) => l.toFixed(2)).join(' ')} before / ${results.machine.loadAfter.map((l) => l.toFixed(2)).join(' ')} after, Node ${results.machine.node}, ${results.at}${results.quick ? ', BENCH_QUICK' : ''}.`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = resolve(import.meta.dirname, '..');
  console.log(markdown(JSON.parse(readFileSync(process.argv[2] ?? join(root, 'bench/results/latest.json'), 'utf8'))));
}
