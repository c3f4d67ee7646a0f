// What checking bodies against a route's JSON Schema costs a request, side by side in one run:
//   plain     POST /v1/echo           (no schema)
//   checked   POST /v1/echo-checked   (the same echo job; the gateway validates the body first,
//                                      bench/jobs/checked-echo.mjs)
// on the same gateway and processor, rate by rate, the two interleaved and repeated so that the
// machine's noise is shared. Next to it, in this process: the validator alone (ajv, compiled once,
// as the gateway does) against the JSON parse the gateway already pays for the same body.
// Used by tools/dev/bench.mjs; the report section is validationMarkdown().
import { performance } from 'node:perf_hooks';
import { parse as secureParse } from 'secure-json-parse';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { CHECKED_BODY_SCHEMA } from './jobs/checked-echo.mjs';

export const VALIDATION_VARIANTS = [
  { key: 'plain', path: '/v1/echo' },
  { key: 'checked', path: '/v1/echo-checked' },
];

/** `deps`: `offer(path, rate, seconds)`, `cpu(pids)`, `pids()` (gateway), `settle()`, `log`. */
export async function compareValidation({ rates, rounds, stepSeconds, body, deps }) {
  for (const variant of VALIDATION_VARIANTS) await deps.offer(variant.path, 300, 2); // warm-up
  const rows = [];
  for (const rate of rates) {
    for (let round = 1; round <= rounds; round++) {
      // Alternate which goes first, so neither always follows the other.
      const order = round % 2 === 1 ? VALIDATION_VARIANTS : [...VALIDATION_VARIANTS].reverse();
      for (const variant of order) {
        const cpu0 = deps.cpu(deps.pids());
        const r = await deps.offer(variant.path, rate, stepSeconds);
        const cpu = deps.cpu(deps.pids()) - cpu0;
        const row = { variant: variant.key, rate, round, sent: r.sent, ok: r.ok, p50: r.p50, p99: r.p99, gatewayCpuPer1k: (cpu / Math.max(1, r.ok)) * 1000 };
        rows.push(row);
        deps.log(`validation ${variant.key} @ ${rate}/s round ${round}: p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, gateway CPU ${row.gatewayCpuPer1k.toFixed(3)} s/1k, non-OK ${row.sent - row.ok}`);
        await deps.settle();
      }
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const ratios = rates.map((rate) => {
    const of = (key, field) => median(rows.filter((r) => r.rate === rate && r.variant === key).map((r) => r[field]));
    return {
      rate,
      p50: of('checked', 'p50') / of('plain', 'p50'),
      p99: of('checked', 'p99') / of('plain', 'p99'),
      gatewayCpu: of('checked', 'gatewayCpuPer1k') / of('plain', 'gatewayCpuPer1k'),
      addedCpuUsPerRequest: (of('checked', 'gatewayCpuPer1k') - of('plain', 'gatewayCpuPer1k')) * 1000,
    };
  });
  return { rows, ratios, micro: microValidation(body) };
}

/** The validator alone vs the gateway's JSON parse of the same body, ns per call, 5 interleaved rounds. */
export function microValidation(body, { calls = 200_000, rounds = 5 } = {}) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const check = ajv.compile(CHECKED_BODY_SCHEMA);
  const value = JSON.parse(body);
  const raw = Buffer.from(body);
  const time = (fn) => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    return ((performance.now() - t0) * 1e6) / calls;
  };
  const parse = () => secureParse(raw.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
  if (!check(value)) throw new Error(`the bench body fails the bench schema: ${JSON.stringify(check.errors)}`);
  time(parse);
  time(() => check(value)); // warm both
  const parseNs = [];
  const checkNs = [];
  for (let round = 0; round < rounds; round++) {
    parseNs.push(time(parse));
    checkNs.push(time(() => check(value)));
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return { parseNs: median(parseNs), checkNs: median(checkNs), ratio: median(checkNs) / median(parseNs), rounds, calls };
}

export function validationMarkdown(validation) {
  if (!validation) return '';
  const { micro } = validation;
  return [
    '## What body validation costs',
    '',
    'Echo with and without a route JSON Schema on the same gateway and processor; each rate repeated, the two interleaved; gateway CPU per 1000 answered requests. Ratios are checked ÷ plain, medians over the rounds.',
    '',
    '| variant | rate/s | round | ok/sent | p50 ms | p99 ms | gateway CPU s/1k |',
    '|---|---|---|---|---|---|---|',
    ...validation.rows.map((r) => `| ${r.variant} | ${r.rate} | ${r.round} | ${r.ok}/${r.sent} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.gatewayCpuPer1k.toFixed(3)} |`),
    '',
    '| rate/s | p50 × | p99 × | gateway CPU × | gateway CPU added per request |',
    '|---|---|---|---|---|',
    ...validation.ratios.map((q) => `| ${q.rate} | ${q.p50.toFixed(2)} | ${q.p99.toFixed(2)} | ${q.gatewayCpu.toFixed(2)} | ${q.addedCpuUsPerRequest.toFixed(1)} µs |`),
    '',
    `In process, the same body: the compiled schema check takes ${micro.checkNs.toFixed(0)} ns, the JSON parse the gateway already does ${micro.parseNs.toFixed(0)} ns (check ÷ parse ${micro.ratio.toFixed(2)}; medians of ${micro.rounds} interleaved rounds of ${micro.calls} calls).`,
    '',
  ].join('\n');
}
