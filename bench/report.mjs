// Turns the results of `npm run bench` into the markdown report and the target ratios.
//   node bench/report.mjs [bench/results/latest.json]    prints the report of a results file

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { processingMarkdown } from './processing.mjs';
import { authMarkdown } from './auth-cost.mjs';
import { registryMarkdown } from './registry-cost.mjs';
import { overloadMarkdown, overloadTargets } from './overload.mjs';
import { medianRow } from './lib/rounds.mjs';
import { cpuWaitMarkdown, crossCheckMarkdown, roundsMarkdown, roundTargets, targetsMarkdown } from './rounds-report.mjs';

const ms = (v) => (v === undefined || v === null || !Number.isFinite(v) ? '–' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const num = (v, digits = 0) => (v === undefined || v === null || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const statusText = (row) =>
  Object.entries(row.statuses)
    .filter(([code]) => code !== '200')
    .map(([code, n]) => `${n}×${code}`)
    .join(' ') || '0';

/** The targets of the issue, from one run's results: the echo ones judged over its rounds. */
export function targets(results) {
  return [...roundTargets(results), ...overloadTargets(results.overload, results.budgetMs)];
}

export function markdown(results) {
  const { systems, steps, capacity, overload, budgetMs, fixedRates } = results;
  const lines = [];
  if (results.deaths?.length) {
    lines.push(`**Processes that exited during the run** (their system's later steps are skipped): ${results.deaths
      .map((d) => `${d.name} (${d.exit}, ${d.at})`).join('; ')}.`, '');
  }
  lines.push(...roundsMarkdown(results));
  lines.push(...cpuWaitMarkdown(results));
  lines.push('', `## Targets (the echo ones judged on the median of ${results.rounds ?? 1} round${results.rounds > 1 ? 's' : ''}; the overload ones on its median run)`, '');
  lines.push(...targetsMarkdown(targets(results)));
  // Per rate and system, the round whose p50 was the median one, for the figures that follow.
  const medianStep = (key, rate) => medianRow(steps.filter((s) => s.key === key && s.rate === rate && (s.generator ?? 'own') === 'own'), (s) => s.p50);

  lines.push('', `### Where the time goes: p50 of each leg, from the echo answer's timestamps (Date.now(), ±1 ms), in the round with the median p50`, '');
  lines.push(`in = due → request_timestamp (the generator's own lag, waiting for a client connection, HTTP in, parse; for the floor: batching before the produce); ` +
    `to handler = request_timestamp → response_timestamp (produce, broker, consume, dispatch to the handler); ` +
    `back = response_timestamp → answer received (reply produce, broker, consume, HTTP out).`, '');
  lines.push(`| offered/s | system | in ms | to handler ms | back ms | total p50 ms |`, `|---:|---|---:|---:|---:|---:|`);
  for (const rate of fixedRates) {
    for (const system of systems) {
      const row = medianStep(system.key, rate);
      if (!row?.legs) continue;
      lines.push(`| ${rate} | ${system.name} | ${ms(row.legs.in?.p50)} | ${ms(row.legs.handler?.p50)} | ${ms(row.legs.back?.p50)} | ${ms(row.p50)} |`);
    }
  }

  const batching = fixedRates.map((rate) => medianStep('flowgate', rate)).filter((r) => r?.counters?.gatewayProduceRequests > 0);
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
  lines.push(`Capacity = the highest step with p99 ≤ ${budgetMs} ms and every answer a 200; each system climbs until a step it does not sustain (a non-200, or under 95% answered within 1 s of the last due time). ` +
    `The search runs in every round; the row is the median round's (by ok/s at capacity), the last column every round's capacity.`, '');
  lines.push(`| system | capacity (offered/s) | ok/s | p50 ms | p99 ms | CPU s / 1k req (apps) | first step over budget | highest rate sustained at any latency (p99) | peak RSS MiB per process (steps) | capacity per round |`);
  lines.push(`|---|---:|---:|---:|---:|---:|---|---|---|---|`);
  for (const system of systems) {
    const cap = capacity[system.key];
    const failed = cap?.failedAt;
    const failText = failed ? `${failed.rate}/s: p99 ${ms(failed.p99)} ms, ${num(failed.throughput)} ok/s, non-200 ${statusText(failed)}` : 'none (ladder exhausted)';
    const rss = system.processes.map((p) => `${p}: ${num(results.peakRss[p])}`).join(', ');
    const perRound = (results.capacityRounds?.[system.key] ?? []).map((c) => (c.passed ? c.rate : `< ${c.lowestTried}`)).join(', ') || '–';
    const sustained = cap?.sustainedRate
      ? `${cap.sustainedRate}${cap.notSustainedAt ? '' : ' (≥)'}/s, ${num(cap.sustainedThroughput)} ok/s (${ms(cap.sustainedP99)} ms)${cap.notSustainedAt ? `; not at ${cap.notSustainedAt}/s` : ''}`
      : `none${cap?.notSustainedAt ? `; not at ${cap.notSustainedAt}/s` : ''}`;
    if (!cap?.passed) {
      lines.push(`| ${system.name} | < ${cap?.lowestTried ?? '–'} | – | – | – | – | ${failText} | ${sustained} | ${rss} | ${perRound} |`);
    } else {
      const exhausted = cap.rate === results.ladder[results.ladder.length - 1] ? ' (≥)' : '';
      lines.push(`| ${system.name} | ${cap.rate}${exhausted} | ${num(cap.throughput)} | ${ms(cap.p50)} | ${ms(cap.p99)} | ${num(cap.cpuPer1k, 3)} | ${failText} | ${sustained} | ${rss} | ${perRound} |`);
    }
  }

  lines.push('', `### Every step`, '');
  lines.push(`| offered/s | round | system | ok/s | p50 ms | p99 ms | p99.9 ms | non-200 | CPU s / 1k req (apps) | whole system CPU ms/req | generator lag p99 ms | other CPU on the machine % |`);
  lines.push(`|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
  for (const row of [...steps].sort((a, b) => a.rate - b.rate || a.order - b.order)) {
    lines.push(`| ${row.rate} | ${(row.round ?? 0) + 1} | ${row.system} | ${num(row.throughput)} | ${ms(row.p50)} | ${ms(row.p99)} | ${ms(row.p999)} | ${statusText(row)} | ${num(row.cpuPer1k, 3)} | ${num(row.cpu?.system, 3)} | ${ms(row.sendLag?.p99)} | ${num(row.otherCpuPct)} |`);
  }

  if (results.retried?.length) {
    lines.push('', `Over budget on a first attempt and run again (the table has the second): ${results.retried
      .map((r) => `${r.system} @ ${r.rate}/s (p99 ${ms(r.p99)} ms, ${statusText(r)} non-200)`).join('; ')}.`);
  }

  lines.push(...crossCheckMarkdown(results));

  lines.push(...overloadMarkdown(overload, { budgetMs, flowgateEnv: results.flowgateEnv }));

  if (results.registry) lines.push('', registryMarkdown(results.registry));
  if (results.auth) lines.push('', authMarkdown(results.auth));
  lines.push(...processingMarkdown(results.processing, budgetMs));

  const phases = results.phases ?? {};
  const took = [['rounds', phases.roundsS], ['cross-check', phases.crossCheckS], ['overload', phases.overloadS], ['the whole run after the build', phases.totalS]]
    .filter(([, s]) => Number.isFinite(s)).map(([name, s]) => `${name} ${(s / 60).toFixed(1)} min`).join(', ');
  lines.push('', `${results.stepSeconds} s per step${took ? ` (${took})` : ''}, loopback, ${results.machine.cpus} CPUs, load average ${results.machine.loadBefore.map((l) => l.toFixed(2)).join(' ')} before / ${results.machine.loadAfter.map((l) => l.toFixed(2)).join(' ')} after, Node ${results.machine.node}, ${results.at}${results.quick ? ', BENCH_QUICK' : ''}.`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = resolve(import.meta.dirname, '..');
  console.log(markdown(JSON.parse(readFileSync(process.argv[2] ?? join(root, 'bench/results/latest.json'), 'utf8'))));
}
