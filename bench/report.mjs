// Turns the results of `npm run bench` into the markdown report and the target ratios.
//   node bench/report.mjs [bench/results/latest.json]    prints the report of a results file

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { processingMarkdown } from './processing.mjs';
import { authMarkdown } from './auth-cost.mjs';
import { registryMarkdown } from './registry-cost.mjs';

const ms = (v) => (v === undefined || v === null || !Number.isFinite(v) ? '–' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const num = (v, digits = 0) => (v === undefined || v === null || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const statusText = (row) =>
  Object.entries(row.statuses)
    .filter(([code]) => code !== '200')
    .map(([code, n]) => `${n}×${code}`)
    .join(' ') || '0';

/**
 * Whether the generator offered the overload as scheduled: its schedule lag within the 5 ms the
 * rejections are allowed (a lag above it would be counted in their latency), and requests hardly
 * ever waiting in the client for a connection.
 */
export function generatorKeptUp(result) {
  return (result.sendLag?.p99 ?? 0) <= 5 && (result.clientQueue?.meanWaiting ?? 0) <= 10;
}

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

  if (overload) {
    const goodputRatio = overload.goodput / overload.peak;
    out.push({
      name: 'overload goodput ÷ peak',
      value: `${goodputRatio.toFixed(2)}`,
      detail: `${num(overload.goodput)} ok/s during ${overload.seconds} s at ${overload.rate}/s vs peak ${num(overload.peak)} ok/s`,
      target: '≥ 0.9',
      met: goodputRatio >= 0.9,
    });
    const p99_503 = overload.result.byStatus['503']?.p99;
    const fromSend = overload.result.byStatusFromSend?.['503']?.p99;
    const r = overload.result;
    out.push({
      name: 'overload 503 latency p99',
      value: p99_503 === undefined ? 'n/a (no 503s)' : `${ms(p99_503)} ms`,
      detail: `${overload.result.statuses['503'] ?? 0} × 503 (${(overload.share503 * 100).toFixed(1)}% of offered); ${ms(fromSend)} ms from the actual send; ` +
        `generator ${generatorKeptUp(r) ? 'kept' : 'did NOT keep'} the schedule (lag p99 ${ms(r.sendLag?.p99)} ms, mean ${num(r.clientQueue?.meanWaiting, 1)} waiting for a connection)`,
      target: '≤ 5 ms',
      met: p99_503 !== undefined && p99_503 <= 5,
    });
    const rss = overload.gatewayRss;
    out.push({
      name: 'gateway RSS start → end of overload run',
      value: `${num(rss.start)} → ${num(rss.end)} MiB (peak ${num(rss.peak)})`,
      detail: `end − start = ${num(rss.end - rss.start, 1)} MiB`,
      target: 'end ≈ start',
      met: rss.end <= rss.start * 1.25 + 10,
    });
    out.push({
      name: 'recovery after overload',
      value: overload.recoverySeconds === null ? `not within ${overload.probeMaxSeconds} s` : `${overload.recoverySeconds.toFixed(1)} s`,
      detail: `probe ${overload.probeRate}/s until a ${overload.windowMs} ms window has p50 ≤ ${ms(overload.thresholdMs)} ms (2 × pre-overload ${ms(overload.baselineP50)} ms)`,
      target: 'report',
      met: overload.recoverySeconds !== null,
    });
  }
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

  if (overload) {
    const r = overload.result;
    const settings = Object.entries({
      ...results.flowgateEnv,
      ...(overload.inflightLimit ? { FLOWGATE_MAX_INFLIGHT: `${overload.inflightLimit} (gateway restarted with it for the overload)` } : {}),
    }).filter(([k]) => !/BROKERS|URL|PORT|PREFIX|LOG_LEVEL/.test(k));
    lines.push('', `## Overload: flowgate at ${overload.rate}/s for ${overload.seconds} s (${(overload.rate / overload.capacity).toFixed(1)} × its p99 capacity, ` +
      `${(overload.rate / overload.peak).toFixed(1)} × its peak ok/s; ${overload.connections} connections` +
      `${settings.length ? `; ${settings.map(([k, v]) => `${k}=${v}`).join(', ')}` : '; default limits'})`, '');
    lines.push(`| measure | value |`, `|---|---:|`);
    lines.push(`| capacity (p99 ≤ ${budgetMs} ms) / highest rate sustained in the steps | ${overload.capacity}/s / ${overload.sustainedRate ?? '–'}/s |`);
    lines.push(`| peak ok/s in any step before | ${num(overload.peak)} |`);
    lines.push(`| goodput (200s/s while offered) | ${num(overload.goodput)} (${(overload.goodput / overload.peak).toFixed(2)} × peak) |`);
    lines.push(`| answers | ${Object.entries(r.statuses).map(([c, n]) => `${n}×${c}`).join(', ')} of ${r.sent} |`);
    lines.push(`| share of 503 | ${(overload.share503 * 100).toFixed(1)}% |`);
    for (const [code, s] of Object.entries(r.byStatus)) {
      lines.push(`| latency of ${code} (p50 / p99 / p99.9 / max ms) | ${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.p999)} / ${ms(s.max)} |`);
    }
    for (const [code, s] of Object.entries(r.byStatusFromSend ?? {})) {
      lines.push(`| latency of ${code} from the actual send, generator lag taken out (p50 / p99 / p99.9 / max ms) | ${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.p999)} / ${ms(s.max)} |`);
    }
    lines.push(`| gateway RSS start / peak / end MiB | ${num(overload.gatewayRss.start)} / ${num(overload.gatewayRss.peak)} / ${num(overload.gatewayRss.end)} |`);
    lines.push(`| processor RSS start / peak / end MiB | ${num(overload.processorRss.start)} / ${num(overload.processorRss.peak)} / ${num(overload.processorRss.end)} |`);
    lines.push(`| CPU s / 1k ok (gateway + processor) | ${num(overload.cpuPer1k, 3)} |`);
    if (overload.cpuPctDuring) {
      lines.push(`| CPU % of a core during overload and probe | ${Object.entries(overload.cpuPctDuring).filter(([, v]) => v !== undefined).map(([n, v]) => `${n} ${num(v)}`).join(', ')} |`);
    }
    if (overload.gatewayLoop) {
      lines.push(`| gateway event-loop thread: % of the time on a CPU / ready but waiting for a CPU (/proc schedstat) | ${num(overload.gatewayLoop.onCpuPct)} / ${num(overload.gatewayLoop.waitingPct)} |`);
    }
    lines.push(`| gateway in flight, most seen in the once-a-second scrapes (limit FLOWGATE_MAX_INFLIGHT${overload.inflightLimit ? ` = ${overload.inflightLimit}` : ''}) | ${overload.maxInflight} |`);
    const unreachable = overload.gatewayView.filter((v) => v.unreachable).length;
    if (unreachable) lines.push(`| gateway /metrics unanswered within 2 s | ${unreachable} of ${overload.gatewayView.length} scrapes |`);
    lines.push(`| load generator: CPU % of a core / schedule lag p99 / max ms | ${num(overload.loadGeneratorCpuPct)} / ${ms(r.sendLag?.p99)} / ${ms(r.sendLag?.max)} |`);
    if (r.clientQueue) lines.push(`| requests waiting in the client for a connection: most / mean (${r.clientQueue.connections} connections${overload.openedConnections === undefined ? '' : `, ${overload.openedConnections} opened before the schedule began`}) | ${r.clientQueue.maxWaiting} / ${num(r.clientQueue.meanWaiting)} |`);
    if (r.errorKinds) lines.push(`| client-side errors by kind | ${Object.entries(r.errorKinds).map(([k, n]) => `${n}×${k}`).join(', ')} |`);
    lines.push(`| probe before (${overload.probeRate}/s): p50 / p99 ms | ${ms(overload.baselineP50)} / ${ms(overload.baselineP99)} |`);
    lines.push(`| back to normal (probe p50 ≤ ${ms(overload.thresholdMs)} ms) | ${overload.recoverySeconds === null ? `not within ${overload.probeMaxSeconds} s` : `${overload.recoverySeconds.toFixed(1)} s after the overload ended`} |`);
    if (overload.sustainedRate && overload.rate <= overload.sustainedRate) {
      lines.push('', `**Note:** ${overload.rate}/s is not more than flowgate sustained in the steps (${overload.sustainedRate}/s): ` +
        `this was not an overload. Set BENCH_OVERLOAD_RATE above it.`);
    }
    if (!generatorKeptUp(r)) {
      lines.push('', `**Caution:** the load generator did not offer this load as scheduled (schedule lag p99 ${ms(r.sendLag?.p99)} ms, over the 5 ms ` +
        `a rejection may take, or a mean of ${num(r.clientQueue?.meanWaiting, 1)} and up to ${r.clientQueue?.maxWaiting ?? 0} requests waiting in the client for a connection): ` +
        `these overload figures measure the machine as much as flowgate. ` +
        `On a 2-core machine shared with Kafka, the apps and the generator, set BENCH_OVERLOAD_RATE to a rate the generator can offer.`);
    }
    const perSecond = r.timeline.map((b) => `${b.ok}/${b.s503}${b.other + b.errors ? `/${b.other + b.errors}` : ''}`).join(' ');
    lines.push('', `200s/503s(/other) completed per second: ${perSecond}`);
  }

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
