// Overload (issue 14, adaptive flow control): what each system delivers when offered 3 × its own
// p99 capacity, in the same run and on the same machine:
//   adaptive   flowgate, its gateway restarted with FLOWGATE_INFLIGHT_LIMIT=adaptive
//              (FLOWGATE_MAX_INFLIGHT its upper bound)
//   adaptiveVariant  the same with more gateway settings (BENCH_OVERLOAD_VARIANT) or another build
//              of the gateway (BENCH_OVERLOAD_VARIANT_DIST), when given
//   fixed      flowgate with the best fixed limit for this machine: first, short trials of each
//              candidate limit at the same rate; the highest goodput at the objective wins
//   nest       the NestJS peer, which has no limit of its own
// The full-length runs go one after another, `rounds` times with their order rotating; the report
// gives each one's median round. Per run: goodput at the objective (200s answered within the p99
// budget of when they were due), latency per status, CPU per process and the HTTP process's
// event-loop thread while overloaded, RSS, time back to normal, and for flowgate the gateway's own
// view once a second. Used by tools/dev/bench.mjs; the report section is overloadMarkdown(), the
// targets overloadTargets().
import { cpuSeconds, mainThreadSched } from './lib/procstat.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const alive = (child) => child.exitCode === null && child.signalCode === null;

/** The share of its p99 capacity adaptive flowgate must deliver at the objective. */
const CAPACITY_SHARE = 0.9;
/** How many times the NestJS peer's goodput at the objective adaptive flowgate must deliver. */
const PEER_FACTOR = 3;

/**
 * Whether the generator offered the overload as scheduled: its schedule lag within the 5 ms a
 * rejection may take (a lag above it would be counted in their latency), and requests hardly
 * ever waiting in the client for a connection.
 */
export function generatorKeptUp(result) {
  return (result.sendLag?.p99 ?? 0) <= 5 && (result.clientQueue?.meanWaiting ?? 0) <= 10;
}

/**
 * Runs the overload comparison. `flowgate` and `nest` are bench.mjs's systems (either may be
 * missing: its runs are left out), `capacity` its step search's results. `deps` from bench.mjs:
 *   restartGateway(env, dist)      flowgate's gateway stopped and started with env over the run's
 *                                  own (from the bundles in `dist`, default the run's), ready and warm
 *   overload(url, args)            the load generator's runOverload on that url
 *   settle(system, maxMs)          until the system's processes are near idle
 *   record(names)                  the RSS sampler's timeline of those processes (returns its end)
 *   metrics()                      the text of flowgate's gateway /metrics
 *   others()                       { name: pid } of processes whose CPU is reported too (Kafka, the generator)
 *   log
 */
export async function compareOverload({
  flowgate, nest, capacity, budgetMs, seconds, rounds, variantEnv = {}, variantDist, fixedLimits, trialSeconds, maxInflight, flowgateRate,
  connections, stepSeconds, probeMaxSeconds, deps,
}) {
  const capacityOf = (key) => {
    const cap = capacity[key];
    return {
      capacityPassed: cap.passed, capacityRate: cap.passed ? cap.rate : cap.lowestTried, capacityOk: cap.passed ? cap.throughput : undefined,
      sustainedRate: cap.sustainedRate,
    };
  };
  const variants = {};
  if (flowgate) {
    const cap = capacityOf('flowgate');
    const common = { system: flowgate, httpProcess: 'gateway', ...cap, rate: flowgateRate ?? 3 * cap.capacityRate };
    variants.adaptive = { ...common, key: 'adaptive', label: 'flowgate (adaptive limit)', limit: `adaptive, ≤ ${maxInflight}`, env: { FLOWGATE_INFLIGHT_LIMIT: 'adaptive', FLOWGATE_MAX_INFLIGHT: String(maxInflight) } };
    const tuned = [...Object.entries(variantEnv).map(([name, value]) => `${name}=${value}`), variantDist && `of ${variantDist}`].filter(Boolean).join(' ');
    if (tuned) {
      variants.adaptiveVariant = {
        ...variants.adaptive, key: 'adaptiveVariant', label: `flowgate (adaptive, ${tuned})`, env: { ...variants.adaptive.env, ...variantEnv }, dist: variantDist,
      };
    }
    const fixed = (limit) => ({ ...common, key: 'fixed', label: 'flowgate (best fixed limit)', limit: `fixed ${limit}`, env: { FLOWGATE_INFLIGHT_LIMIT: 'fixed', FLOWGATE_MAX_INFLIGHT: String(limit) } });
    if (fixedLimits.length > 0) variants.fixed = fixed(fixedLimits[0]);
    variants.fixedTrial = fixed;
  }
  if (nest) {
    const cap = capacityOf('nest');
    variants.nest = { system: nest, httpProcess: 'nest http', ...cap, rate: 3 * cap.capacityRate, key: 'nest', label: 'NestJS peer', limit: 'none' };
  }

  /** One overload of a variant; a trial (`trialSeconds`) has no probes and records only the outcome. */
  async function measure(variant, { round, trial = false }) {
    const { system } = variant;
    const runSeconds = trial ? trialSeconds : seconds;
    if (variant.env) await deps.restartGateway(variant.env, variant.dist);
    const probeRate = Math.max(10, Math.round(variant.capacityRate / 4));
    const baseline = trial ? undefined : await system.offer(probeRate, stepSeconds);
    await deps.settle(system);
    const pids = { ...Object.fromEntries(Object.entries(system.procs).map(([name, child]) => [name, child.pid])), ...deps.others() };
    const endCpu = trial ? undefined : watchCpu(pids);
    const endRss = trial ? undefined : deps.record(Object.keys(system.procs));
    const endView = !trial && system.key === 'flowgate' ? watchGateway(deps.metrics) : undefined;
    // 15 s client timeout: longer than flowgate's and the peer's 10 s deadline, so their 504s show.
    const out = await deps.overload(system.url, {
      rate: variant.rate, seconds: runSeconds, connections, timeoutMs: 15_000, objectiveMs: budgetMs,
      probeRate: trial ? 0 : probeRate, probeMaxSeconds, baselineP50: baseline?.p50,
    });
    const cpuSamples = endCpu?.();
    const view = await endView?.();
    await deps.settle(system, 30_000);
    const rssSamples = endRss?.();
    const r = out.overload;
    const row = {
      key: variant.key, label: variant.label, limit: variant.limit, env: variant.env, round, trial,
      rate: variant.rate, seconds: runSeconds, capacityPassed: variant.capacityPassed, capacityRate: variant.capacityRate, capacityOk: variant.capacityOk,
      sustainedRate: variant.sustainedRate,
      goodputAtObjective: r.goodputAtObjective, capacityShare: variant.capacityOk ? r.goodputAtObjective / variant.capacityOk : undefined,
      goodput: r.goodputDuring, shares: Object.fromEntries(Object.entries(r.statuses).map(([code, n]) => [code, n / r.sent])),
      admittedP50: r.byStatus['200']?.p50, admittedP99: r.byStatus['200']?.p99,
      refusedP50: r.byStatus['503']?.p50, refusedP99: r.byStatus['503']?.p99,
      openedConnections: out.openedConnections, startedAt: out.startedAt, result: r,
    };
    if (trial) return row;
    const overloadEnd = out.startedAt + runSeconds * 1000;
    Object.assign(row, {
      httpProcess: variant.httpProcess, probeRate, baselineP50: baseline.p50, baselineP99: baseline.p99, thresholdMs: out.thresholdMs,
      recoverySeconds: out.recoverySeconds, probeMaxSeconds, windowMs: 500, windows: out.windows, probe: out.probe,
      ...during(cpuSamples, out.startedAt, overloadEnd),
      rss: Object.fromEntries(Object.keys(system.procs).map((name) => [name, series(rssSamples, name)])),
      rssTimeline: rssSamples.filter((_, i) => i % 5 === 0),
    });
    if (view) {
      row.gatewayView = view.map(({ at, ...rest }) => ({ t: (at - out.startedAt) / 1000, ...rest }));
      const seen = (field) => row.gatewayView.map((v) => v[field]).filter(Number.isFinite);
      row.inflightMax = Math.max(0, ...seen('inflight'));
      if (seen('limit').length > 0) row.limitSeen = { min: Math.min(...seen('limit')), max: Math.max(...seen('limit')) };
    }
    return row;
  }

  // The best fixed limit: trials at the same rate, the highest goodput at the objective wins (the
  // smaller limit on a tie). One candidate needs no trial.
  let search;
  if (variants.fixed && fixedLimits.length > 1) {
    const trials = [];
    for (const limit of fixedLimits) {
      if (!Object.values(flowgate.procs).every(alive)) break;
      deps.log(`overload: trying fixed limit ${limit} at ${variants.adaptive.rate}/s for ${trialSeconds} s`);
      const row = await measure(variants.fixedTrial(limit), { trial: true });
      trials.push({ limit, goodputAtObjective: row.goodputAtObjective, goodput: row.goodput, admittedP99: row.admittedP99, refusedP99: row.refusedP99, shares: row.shares });
      deps.log(`overload: fixed ${limit}: ${row.goodputAtObjective.toFixed(0)} ok/s within ${budgetMs} ms, ${row.goodput.toFixed(0)} ok/s in all, ` +
        `200 p99 ${row.admittedP99?.toFixed(1) ?? '–'} ms, 503 ${(100 * (row.shares['503'] ?? 0)).toFixed(1)} %`);
    }
    const best = trials.reduce((a, b) => (b.goodputAtObjective > a.goodputAtObjective ? b : a), trials[0]);
    if (best) variants.fixed = variants.fixedTrial(best.limit);
    search = { rate: variants.adaptive.rate, seconds: trialSeconds, trials, best: best?.limit };
  } else if (variants.fixed) {
    search = { rate: variants.adaptive.rate, seconds: 0, trials: [], best: fixedLimits[0] };
  }

  // The full-length runs, interleaved; each round starts one later in the order, so none is always first.
  const order = ['adaptive', 'adaptiveVariant', 'fixed', 'nest'].filter((key) => variants[key]);
  const runs = [];
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < order.length; i++) {
      const variant = variants[order[(i + round) % order.length]];
      const dead = Object.entries(variant.system.procs).find(([, child]) => !alive(child));
      if (dead) {
        deps.log(`overload: ${variant.label} skipped, ${dead[0]} exited`);
        continue;
      }
      deps.log(`overload ${round + 1}/${rounds}: ${variant.label} (${variant.limit}), probe at ${Math.max(10, Math.round(variant.capacityRate / 4))}/s, then ${variant.rate}/s for ${seconds} s`);
      const row = await measure(variant, { round });
      runs.push(row);
      deps.log(`overload: ${variant.label}: ${row.goodputAtObjective.toFixed(0)} ok/s within ${budgetMs} ms ` +
        `(${row.capacityShare === undefined ? '–' : row.capacityShare.toFixed(2)} × capacity), ${row.goodput.toFixed(0)} ok/s in all, ` +
        `200 p99 ${row.admittedP99?.toFixed(1) ?? '–'} ms, 503 p99 ${row.refusedP99?.toFixed(1) ?? '–'} ms, ` +
        `back to normal ${row.recoverySeconds ?? `> ${probeMaxSeconds}`} s`);
    }
  }
  const median = Object.fromEntries(order.map((key) => [key, medianRun(runs.filter((r) => r.key === key))]).filter(([, row]) => row));
  return { seconds, rounds, connections, objectiveMs: budgetMs, maxInflight, flowgateRate, probeMaxSeconds, search, runs, median };
}

/** The run with the median goodput at the objective (with an even count, the lower middle one). */
function medianRun(rows) {
  const sorted = [...rows].sort((a, b) => a.goodputAtObjective - b.goodputAtObjective);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** CPU seconds and main-thread scheduler figures of `pids` ({ name: pid }) every 250 ms; the returned function ends it. */
function watchCpu(pids) {
  const samples = [];
  const sample = () => samples.push({
    at: Date.now(),
    cpu: Object.fromEntries(Object.entries(pids).filter(([, pid]) => pid).map(([name, pid]) => [name, cpuSeconds(pid)])),
    sched: Object.fromEntries(Object.entries(pids).filter(([, pid]) => pid).map(([name, pid]) => [name, mainThreadSched(pid)])),
  });
  sample();
  const timer = setInterval(sample, 250);
  return () => {
    clearInterval(timer);
    sample();
    return samples;
  };
}

/**
 * CPU % of a core per process, and each main thread's share of the time on a CPU and ready but
 * waiting for one (for a Node process, its event loop), between the samples around `from`..`to`.
 */
function during(samples, from, to) {
  const first = samples.findLast((s) => s.at <= from) ?? samples[0];
  const last = samples.find((s) => s.at >= to) ?? samples[samples.length - 1];
  const wall = (last.at - first.at) / 1000;
  const pct = (a, b) => (a === undefined || b === undefined || wall <= 0 ? undefined : ((b - a) / wall) * 100);
  return {
    cpuPct: Object.fromEntries(Object.keys(first.cpu).map((name) => [name, pct(first.cpu[name], last.cpu[name])])),
    loopThreads: Object.fromEntries(Object.keys(first.sched).map((name) => [name, {
      onCpuPct: pct(first.sched[name]?.onCpu, last.sched[name]?.onCpu),
      waitingPct: pct(first.sched[name]?.waiting, last.sched[name]?.waiting),
    }])),
    cpuWindowS: wall,
  };
}

const series = (samples, name) => {
  const values = samples.map((s) => s[name]).filter((v) => v !== undefined);
  return { start: values[0], peak: Math.max(...values), end: values[values.length - 1] };
};

/** A gauge's value (the first series of it), or undefined when the gateway does not export it. */
function gauge(text, name) {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/**
 * The gateway's own view once a second: its in-flight limit and requests, refusals so far by
 * reason, queue delay and event-loop delay (the last two exported only by gateways with the
 * adaptive limit). The returned function ends it and gives the samples.
 */
function watchGateway(metrics) {
  const view = [];
  let watching = true;
  const done = (async () => {
    while (watching) {
      const at = Date.now();
      try {
        const text = await metrics();
        const refused = Object.fromEntries([...text.matchAll(/^flowgate_gateway_admission_rejections_total\{[^}]*reason="([^"]+)"[^}]*\} (\S+)$/gm)]
          .map(([, reason, n]) => [reason, Number(n)]));
        view.push({
          at,
          limit: gauge(text, 'flowgate_gateway_inflight_limit'),
          inflight: gauge(text, 'flowgate_gateway_inflight_requests'),
          refused,
          queueDelayS: gauge(text, 'flowgate_gateway_queue_delay_seconds'),
          loopDelayS: gauge(text, 'flowgate_gateway_event_loop_delay_seconds'),
        });
      } catch (error) {
        view.push({ at, unreachable: true, error: String(error?.message ?? error) });
      }
      await sleep(Math.max(0, 1000 - (Date.now() - at)));
    }
  })();
  return async () => {
    watching = false;
    await done;
    return view;
  };
}

// ------------------------------------------------------------------ report

const ms = (v) => (v === undefined || v === null || !Number.isFinite(v) ? '–' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const num = (v, digits = 0) => (v === undefined || v === null || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const pct = (share) => (share === undefined ? '–' : `${(share * 100).toFixed(share < 0.001 && share > 0 ? 2 : 1)} %`);
const codeName = (code) => (code === 'error' ? 'no answer' : code);

/** The issue's overload targets, from the median runs. */
export function overloadTargets(overload, budgetMs) {
  if (!overload?.median) return [];
  const { adaptive, fixed, nest } = overload.median;
  const out = [];
  if (!adaptive) return [{ name: 'overload: flowgate adaptive', value: 'n/a (not run)', target: '', met: false }];
  out.push({
    name: `overload: adaptive goodput at p99 ≤ ${budgetMs} ms ÷ its p99 capacity`,
    value: adaptive.capacityShare === undefined ? 'n/a (no p99 capacity)' : adaptive.capacityShare.toFixed(2),
    detail: `${num(adaptive.goodputAtObjective)} ok/s within ${budgetMs} ms at ${adaptive.rate}/s vs ${num(adaptive.capacityOk)} ok/s at ${adaptive.capacityRate}/s`,
    target: `≥ ${CAPACITY_SHARE}`,
    met: adaptive.capacityShare >= CAPACITY_SHARE,
  });
  out.push({
    name: 'overload: adaptive admitted (200) p99',
    value: `${ms(adaptive.admittedP99)} ms`,
    detail: `p50 ${ms(adaptive.admittedP50)} ms, ${pct(adaptive.shares['200'])} of requests answered 200`,
    target: `≤ ${budgetMs} ms`,
    met: adaptive.admittedP99 !== undefined && adaptive.admittedP99 <= budgetMs,
  });
  out.push(fixed
    ? {
      name: 'overload: adaptive goodput at the objective vs the best fixed limit\'s',
      value: `${num(adaptive.goodputAtObjective)} vs ${num(fixed.goodputAtObjective)} ok/s`,
      detail: `${fixed.limit}, the best of ${overload.search.trials.length ? overload.search.trials.map((t) => t.limit).join(', ') : 'one candidate'} on this machine`,
      target: '≥',
      met: adaptive.goodputAtObjective >= fixed.goodputAtObjective,
    }
    : { name: 'overload: adaptive goodput vs the best fixed limit\'s', value: 'n/a (no fixed-limit run)', target: '≥', met: false });
  out.push(nest
    ? {
      name: `overload: adaptive goodput at the objective ÷ the NestJS peer's`,
      value: nest.goodputAtObjective > 0 ? `${(adaptive.goodputAtObjective / nest.goodputAtObjective).toFixed(2)}×` : '∞ (the peer: none)',
      detail: `${num(adaptive.goodputAtObjective)} vs ${num(nest.goodputAtObjective)} ok/s at ${adaptive.rate} / ${nest.rate}/s (${overload.flowgateRate ? 'flowgate\'s rate set by BENCH_OVERLOAD_RATE' : 'each 3 × its own p99 capacity'})`,
      target: `≥ ${PEER_FACTOR}`,
      met: adaptive.goodputAtObjective >= PEER_FACTOR * nest.goodputAtObjective,
    }
    : { name: 'overload: adaptive goodput ÷ the NestJS peer\'s', value: 'n/a (peer not run)', target: `≥ ${PEER_FACTOR}`, met: false });
  // The earlier overload targets (README "Overload"), still reported.
  out.push({
    name: 'overload: adaptive refusal (503) p99',
    value: adaptive.refusedP99 === undefined ? 'n/a (no 503s)' : `${ms(adaptive.refusedP99)} ms`,
    detail: `${ms(adaptive.result.byStatusFromSend?.['503']?.p99)} ms from the actual send; generator ${generatorKeptUp(adaptive.result) ? 'kept' : 'did NOT keep'} the schedule`,
    target: '≤ 5 ms',
    met: adaptive.refusedP99 !== undefined && adaptive.refusedP99 <= 5,
  });
  const rss = adaptive.rss.gateway;
  out.push({
    name: 'overload: adaptive gateway RSS start → end',
    value: `${num(rss.start)} → ${num(rss.end)} MiB (peak ${num(rss.peak)})`,
    target: 'end ≤ 1.25 × start + 10 MiB',
    met: rss.end <= rss.start * 1.25 + 10,
  });
  out.push({
    name: 'overload: adaptive back to normal',
    value: adaptive.recoverySeconds === null ? `not within ${adaptive.probeMaxSeconds} s` : `${adaptive.recoverySeconds.toFixed(1)} s`,
    detail: `probe ${adaptive.probeRate}/s until a ${adaptive.windowMs} ms window has p50 ≤ ${ms(adaptive.thresholdMs)} ms (2 × its p50 before)`,
    target: 'report',
    met: adaptive.recoverySeconds !== null,
  });
  return out;
}

/** The overload section of the report. */
export function overloadMarkdown(overload, { budgetMs, flowgateEnv = {} }) {
  if (!overload) return [];
  if (!overload.median) return ['', '## Overload', '', '(results of an older harness; not shown)'];
  const rows = ['adaptive', 'adaptiveVariant', 'fixed', 'nest'].map((key) => overload.median[key]).filter(Boolean);
  const lines = [];
  const settings = Object.entries(flowgateEnv).filter(([k]) => !/BROKERS|URL|PORT|PREFIX|LOG_LEVEL|INFLIGHT/.test(k));
  lines.push('', `## Overload: each system at 3 × its own p99 capacity${overload.flowgateRate ? ` (flowgate at ${overload.flowgateRate}/s, set by BENCH_OVERLOAD_RATE)` : ''} for ${overload.seconds} s` +
    `${overload.rounds > 1 ? ` (the median of ${overload.rounds} rounds by goodput at the objective)` : ''}`, '');
  lines.push(`Goodput at the objective = 200s answered within ${budgetMs} ms of when they were due, per second of the overload. ` +
    `${overload.connections} client connections, all opened before each overload; flowgate's gateway restarted for each of its runs` +
    `${settings.length ? `; the run's ${settings.map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}.`, '');
  lines.push(`| system | in-flight limit | offered/s (p99 capacity) | goodput at ≤ ${budgetMs} ms, ok/s | ÷ p99 capacity ok/s | all 200s/s | 200 p50 / p99 ms | refused or failed, p50 / p99 ms | answers | back to normal |`);
  lines.push(`|---|---|---:|---:|---:|---:|---:|---|---|---:|`);
  for (const row of rows) {
    const r = row.result;
    const seen = [
      row.key.startsWith('adaptive') && row.limitSeen ? `limit ${num(row.limitSeen.min)}–${num(row.limitSeen.max)}` : undefined,
      row.inflightMax !== undefined ? `most in flight ${row.inflightMax}` : undefined,
    ].filter(Boolean);
    const limit = `${row.limit}${seen.length ? ` (seen: ${seen.join(', ')})` : ''}`;
    const capacityRate = row.capacityPassed === false ? `< ${row.capacityRate}: no step passed` : row.capacityRate;
    const failed = Object.entries(r.byStatus).filter(([code]) => code !== '200').map(([code, s]) => `${codeName(code)}: ${ms(s.p50)} / ${ms(s.p99)}`).join('; ') || 'none';
    const answers = Object.entries(row.shares).map(([code, share]) => `${codeName(code)} ${pct(share)}`).join(', ');
    lines.push(`| ${row.label} | ${limit} | ${row.rate} (${capacityRate}) | ${num(row.goodputAtObjective)} | ${row.capacityShare === undefined ? '–' : row.capacityShare.toFixed(2)} (${num(row.capacityOk)}) | ` +
      `${num(row.goodput)} | ${ms(row.admittedP50)} / ${ms(row.admittedP99)} | ${failed} | ${answers} | ` +
      `${row.recoverySeconds === null ? `> ${row.probeMaxSeconds} s` : `${row.recoverySeconds.toFixed(1)} s`} |`);
  }

  lines.push('', `While overloaded: CPU % of a core per process, the HTTP process's event-loop thread (/proc schedstat: on a CPU / ready but waiting for one), RSS per process (start / peak / end MiB, the end after the probe and settling), and the generator.`, '');
  lines.push(`| system | CPU % of a core | HTTP event loop on CPU / waiting % | RSS MiB start / peak / end | generator lag p99 ms, waiting for a connection (mean / most) |`);
  lines.push(`|---|---|---:|---|---|`);
  for (const row of rows) {
    const r = row.result;
    const cpu = Object.entries(row.cpuPct).filter(([, v]) => v !== undefined).map(([name, v]) => `${name} ${num(v)}`).join(', ');
    const loop = row.loopThreads[row.httpProcess];
    const rss = Object.entries(row.rss).map(([name, s]) => `${name} ${num(s.start)} / ${num(s.peak)} / ${num(s.end)}`).join('; ');
    lines.push(`| ${row.label} | ${cpu} | ${num(loop?.onCpuPct)} / ${num(loop?.waitingPct)} | ${rss} | ${ms(r.sendLag?.p99)}, ${num(r.clientQueue?.meanWaiting)} / ${r.clientQueue?.maxWaiting ?? '–'}` +
      `${generatorKeptUp(r) ? '' : ' (**did not keep the schedule**)'} |`);
  }
  for (const row of rows) {
    if (row.result.errorKinds) lines.push('', `${row.label}, client-side errors by kind: ${Object.entries(row.result.errorKinds).map(([k, n]) => `${n}×${k}`).join(', ')}.`);
  }

  const { search } = overload;
  if (search?.trials.length) {
    lines.push('', `The best fixed limit, from ${search.seconds} s trials at ${search.rate}/s (each on a restarted gateway): ` +
      search.trials.map((t) => `${t.limit}: ${num(t.goodputAtObjective)} ok/s at the objective (${num(t.goodput)} in all, 200 p99 ${ms(t.admittedP99)} ms, 503 ${pct(t.shares['503'] ?? 0)})`).join('; ') +
      ` → **${search.best}**.`);
  }
  if (overload.rounds > 1) {
    lines.push('', `Goodput at the objective per round: ${rows.map((row) => `${row.label} ${overload.runs.filter((r) => r.key === row.key).map((r) => num(r.goodputAtObjective)).join(' / ')}`).join('; ')} ok/s.`);
  }

  const adaptive = overload.median.adaptive;
  if (adaptive?.gatewayView) {
    lines.push('', `### flowgate adaptive, once a second (the gateway's /metrics; t from the start of the overload)`, '');
    lines.push(`Refusals per second since the previous scrape; answers per second by completion, the second before the scrape.`, '');
    const reasons = [...new Set(adaptive.gatewayView.flatMap((v) => Object.keys(v.refused ?? {})))].sort();
    lines.push(`| t s | limit | in flight | ${reasons.map((r) => `refused/s ${r}`).join(' | ')}${reasons.length ? ' | ' : ''}queue delay ms | event-loop delay ms | 200s within ${budgetMs} ms/s | 200s/s | 503s/s |`);
    lines.push(`|${'---:|'.repeat(8 + reasons.length)}`);
    let previous;
    for (const v of adaptive.gatewayView) {
      if (v.unreachable) {
        lines.push(`| ${num(v.t, 1)} | /metrics unanswered |${' |'.repeat(6 + reasons.length)}`);
        continue;
      }
      const dt = previous ? v.t - previous.t : undefined;
      const rates = reasons.map((reason) => (previous && dt > 0 ? num(((v.refused[reason] ?? 0) - (previous.refused[reason] ?? 0)) / dt) : '–'));
      const bucket = adaptive.result.timeline[Math.floor(v.t) - 1];
      lines.push(`| ${num(v.t, 1)} | ${num(v.limit)} | ${num(v.inflight)} | ${rates.join(' | ')}${reasons.length ? ' | ' : ''}${ms((v.queueDelayS ?? NaN) * 1000)} | ${ms((v.loopDelayS ?? NaN) * 1000)} | ` +
        `${num(bucket?.okInObjective)} | ${num(bucket?.ok)} | ${num(bucket?.s503)} |`);
      previous = v;
    }
  }
  const notOverloaded = rows.filter((row) => row.sustainedRate !== undefined && row.rate <= row.sustainedRate);
  if (notOverloaded.length > 0) {
    lines.push('', `**Note:** not above what the steps sustained (at a p99 over the budget), so not an overload, for ${notOverloaded.map((row) => `${row.label} (${row.rate}/s; sustained ${row.sustainedRate}/s)`).join('; ')}: ` +
      `their figures are latency under heavy load, not shedding. BENCH_OVERLOAD_RATE sets flowgate's rate.`);
  }
  const behind = rows.filter((row) => !generatorKeptUp(row.result));
  if (behind.length > 0) {
    lines.push('', `**Caution:** the load generator did not offer the load as scheduled for ${behind.map((row) => row.label).join('; ')} ` +
      `(schedule lag p99 over 5 ms, or a mean of over 10 requests waiting in the client for a connection; the second table has both): ` +
      `those figures measure the machine and the client as much as the system.`);
  }
  return lines;
}
