#!/usr/bin/env node
// Joins the hop traces of a bench run (BENCH_HOP_TRACE=<dir>, bench/lib/hop-trace.mjs) request by
// request and prints, per system, the quartiles of each hop as a Markdown table:
//   node bench/hop-report.mjs <dir> [skip share, default 0.2]
// A system is a pair of topics <prefix>.requests and <prefix>.replies (bench.: flowgate, benchv.:
// its variant, floor.: the kafkajs floor). Its front (gateway, floor client) sends to the first and
// reads the second; its back (processor, floor echo) the other way round. The first `skip` share of
// each system's requests (warm-up) is left out; run one rate (BENCH_RATES=1000) so the hops are of it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { quantile } from './lib/open-loop.mjs';

/** The legs of one request, µs: [label, from event, to event]; events are `<side>:<kind>`. */
export const LEGS = [
  ['HTTP in → produce request (parse, admission, linger)', 'front:arrive', 'front:send:requests'],
  ['request hop (produce → consumer has it)', 'front:send:requests', 'back:fetch:requests'],
  ['  of it: produce → fetch response at the processor (broker, network)', 'front:send:requests', 'back:bytes:requests'],
  ['  of it: fetch response → eachBatch (kafkajs)', 'back:bytes:requests', 'back:fetch:requests'],
  ['processor (consumed → reply produce request)', 'back:fetch:requests', 'back:send:replies'],
  ['reply hop (produce → gateway has it)', 'back:send:replies', 'front:fetch:replies'],
  ['  of it: produce → fetch response at the gateway (broker, network)', 'back:send:replies', 'front:bytes:replies'],
  ['  of it: fetch response → eachBatch (kafkajs)', 'front:bytes:replies', 'front:fetch:replies'],
  ['reply → HTTP answer written', 'front:fetch:replies', 'front:end'],
  ['Kafka round trip (produce request → reply read)', 'front:send:requests', 'front:fetch:replies'],
  ['whole (HTTP in → answer written)', 'front:arrive', 'front:end'],
];

/** id → µs for one kind of event (the first time an id was seen). */
function times(list = []) {
  const map = new Map();
  for (let i = 0; i < list.length; i += 2) if (!map.has(list[i])) map.set(list[i], list[i + 1]);
  return map;
}

function quartiles(leg, values) {
  values.sort((x, y) => x - y);
  const q = (p) => quantile(values, p);
  return { leg, n: values.length, p25: q(0.25), p50: q(0.5), p75: q(0.75), p90: q(0.9) };
}

/** traces: [{ name, events }] → [{ system, front, back, rows: [{ leg, n, p25, p50, p75, p90 }] }], ms. */
export function joinHops(traces, skip = 0.2) {
  const prefixes = new Set();
  for (const { events } of traces) {
    for (const kind of Object.keys(events)) {
      const match = /^send:(.+)\.requests$/.exec(kind);
      if (match) prefixes.add(match[1]);
    }
  }
  const systems = [];
  for (const prefix of [...prefixes].sort()) {
    // Replicas of a side (two gateways, two processors) are joined as one.
    const fronts = traces.filter(({ events }) => events[`send:${prefix}.requests`] && events[`fetch:${prefix}.replies`]);
    const backs = traces.filter(({ events }) => events[`fetch:${prefix}.requests`] && events[`send:${prefix}.replies`]);
    if (fronts.length === 0 || backs.length === 0) continue;
    const event = (key) => {
      const [side, ...rest] = key.split(':');
      const kind = rest.join(':').replace(/:(requests|replies)$/, `:${prefix}.$1`);
      return times((side === 'front' ? fronts : backs).flatMap(({ events }) => events[kind] ?? []));
    };
    const sent = event('front:send:requests');
    const ids = [...sent.keys()].slice(Math.floor(sent.size * skip));
    const rows = [];
    for (const [leg, from, to] of LEGS) {
      const start = event(from);
      const stop = event(to);
      const values = [];
      for (const id of ids) {
        const a = start.get(id);
        const b = stop.get(id);
        if (a !== undefined && b !== undefined) values.push((b - a) / 1000);
      }
      if (values.length > 0) rows.push(quartiles(leg, values));
    }
    // Each side's produce requests, through the broker and back (not joined to requests: a produce request carries several).
    for (const [side, traced] of [['front', fronts], ['back', backs]]) {
      const stamps = (kind) => times(traced.flatMap(({ events }) => events[kind] ?? []));
      const [started, written, acked] = [stamps('produce:start'), stamps('produce:written'), stamps('produce:acked')];
      const produces = [...started.keys()].slice(Math.floor(started.size * skip));
      for (const [leg, from, to] of [
        ['kafkajs connection → acknowledged', started, acked],
        ['connection → written to the socket (encoding)', started, written],
        ['written → acknowledged (broker, loopback)', written, acked],
      ]) {
        const values = produces.filter((id) => from.has(id) && to.has(id)).map((id) => (to.get(id) - from.get(id)) / 1000);
        if (values.length > 0) rows.push(quartiles(`${side}'s produce requests: ${leg}`, values));
      }
    }
    systems.push({ system: prefix, front: fronts.map((t) => t.name).join(', '), back: backs.map((t) => t.name).join(', '), rows });
  }
  return systems;
}

export function renderHops(systems) {
  const lines = [];
  for (const { system, front, back, rows } of systems) {
    lines.push(`### ${system}.* (front: ${front}, back: ${back})`, '', '| leg | requests | p25 ms | p50 ms | p75 ms | p90 ms |', '|---|---:|---:|---:|---:|---:|');
    for (const { leg, n, p25, p50, p75, p90 } of rows) lines.push(`| ${leg} | ${n} | ${[p25, p50, p75, p90].map((v) => v.toFixed(2)).join(' | ')} |`);
    lines.push('');
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [dir, skip = '0.2'] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node bench/hop-report.mjs <BENCH_HOP_TRACE dir> [skip share]');
    process.exit(2);
  }
  const traces = readdirSync(dir).filter((file) => file.endsWith('.json')).map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')));
  process.stdout.write(renderHops(joinHops(traces, Number(skip))));
}
