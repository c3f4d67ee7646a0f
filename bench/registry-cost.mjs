// What the request registry (Redis) costs a request, side by side in one run: the same gateway
// and processor, plus a sweeper, offered the same open-loop echo load three ways, rate by rate,
// interleaved so that noise from the machine is shared:
//   plain        POST /v1/echo                       (never touches Redis)
//   idempotent   the same with a new Idempotency-Key per request (admit + record: 2 Redis calls)
//   async        the same with Prefer: respond-async (admit, 202 after Kafka's ack; a sweeper
//                records the result)
// Used by tools/dev/bench.mjs; the report section is registryMarkdown().

export const VARIANTS = [
  { key: 'plain', label: 'plain (no registry)', options: {} },
  { key: 'idempotent', label: 'Idempotency-Key', options: { uniqueHeader: 'idempotency-key' } },
  { key: 'async', label: 'Prefer: respond-async (202)', options: { headers: { prefer: 'respond-async' }, okStatus: 202 } },
];

/**
 * `deps` from bench.mjs: `offer(rate, seconds, options)` (the load generator on flowgate's
 * gateway), `cpu(pids)`, `pids()` (gateway, processor, sweeper, redis), `settle()`, `log`.
 */
export async function compareRegistry({ rates, stepSeconds, deps }) {
  for (const variant of VARIANTS) await deps.offer(300, 2, variant.options); // warm-up, Lua scripts loaded
  const rows = [];
  for (const rate of rates) {
    for (const variant of VARIANTS) {
      const cpu0 = deps.cpu(deps.pids());
      const r = await deps.offer(rate, stepSeconds, variant.options);
      const cpu = deps.cpu(deps.pids()) - cpu0;
      const row = {
        variant: variant.key, rate, sent: r.sent, ok: r.ok, p50: r.p50, p99: r.p99, p999: r.p999,
        cpuPer1k: (cpu / Math.max(1, r.ok)) * 1000,
      };
      rows.push(row);
      deps.log(`registry ${variant.key} @ ${rate}/s: p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, ` +
        `CPU ${row.cpuPer1k.toFixed(3)} s/1k, non-OK ${row.sent - row.ok}`);
      await deps.settle();
    }
  }
  const ratios = rates.map((rate) => {
    const of = (key) => rows.find((row) => row.rate === rate && row.variant === key);
    const plain = of('plain');
    const vs = (key, field) => of(key)[field] / plain[field];
    return {
      rate,
      idempotentP50: vs('idempotent', 'p50'), idempotentP99: vs('idempotent', 'p99'), idempotentCpu: vs('idempotent', 'cpuPer1k'),
      idempotentAddedP50Ms: of('idempotent').p50 - plain.p50,
      asyncAcceptP50: vs('async', 'p50'), asyncCpu: vs('async', 'cpuPer1k'),
    };
  });
  return { rows, ratios };
}

export function registryMarkdown(registry) {
  if (!registry) return '';
  const label = Object.fromEntries(VARIANTS.map((v) => [v.key, v.label]));
  const lines = [
    '## What the request registry costs',
    '',
    'Echo through the same gateway, processor and sweeper; CPU is theirs plus Redis\'s, per 1000 answered requests. ' +
      'Async latency is the time to the 202 (the result comes later).',
    '',
    '| variant | rate/s | ok/sent | p50 ms | p99 ms | p99.9 ms | CPU s/1k |',
    '|---|---|---|---|---|---|---|',
    ...registry.rows.map((r) => `| ${label[r.variant]} | ${r.rate} | ${r.ok}/${r.sent} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.p999.toFixed(2)} | ${r.cpuPer1k.toFixed(3)} |`),
    '',
    '| rate/s | Idempotency-Key p50 × | p99 × | CPU × | p50 added | async 202 p50 × | async CPU × |',
    '|---|---|---|---|---|---|---|',
    ...registry.ratios.map((q) => `| ${q.rate} | ${q.idempotentP50.toFixed(2)} | ${q.idempotentP99.toFixed(2)} | ${q.idempotentCpu.toFixed(2)} | ` +
      `${q.idempotentAddedP50Ms.toFixed(2)} ms | ${q.asyncAcceptP50.toFixed(2)} | ${q.asyncCpu.toFixed(2)} |`),
    '',
  ];
  return lines.join('\n');
}
