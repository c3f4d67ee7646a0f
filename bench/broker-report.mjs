#!/usr/bin/env node
// The broker's side of a bench run: with FLOWGATE_KAFKA_REQUEST_LOG=<file> the stack's broker logs
// every request it completes (tools/stack/kafka.mjs), and this prints, per client, request type and
// (first) topic, the median time of each stage the broker reports, as a Markdown table:
//   node bench/broker-report.mjs <file> [least count shown, default 200]
// Stages, in ms: queue (waiting for a request handler thread), local (the handler's own work, e.g.
// the append), remote (a produce waiting for replicas; a fetch long-polling until data arrives or
// its max wait ends), response queue (waiting for a network thread), send (writing the response).
// The client side of the same requests is bench/hop-report.mjs's.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { quantile } from './lib/open-loop.mjs';

export const STAGES = ['totalTimeMs', 'requestQueueTimeMs', 'localTimeMs', 'remoteTimeMs', 'responseQueueTimeMs', 'sendTimeMs'];

/** One `Completed request:` line → { client, api, topic, times } (topic: the first one named, '' if none), or undefined. */
export function parseRequestLine(line) {
  const api = /"requestApiKeyName":"(\w+)"/.exec(line)?.[1];
  if (!api) return undefined;
  // The stage times follow the response, whose records could hold look-alike text: read them from the end.
  const stages = line.slice(line.lastIndexOf('"totalTimeMs"'));
  const times = STAGES.map((stage) => Number(new RegExp(`"${stage}":([0-9.]+)`).exec(stages)?.[1]));
  if (times.some(Number.isNaN)) return undefined;
  const request = line.slice(0, line.indexOf('"response":'));
  const topic = /"(?:topicData|topics)":\[\{"(?:name|topic)":"([^"]+)"/.exec(request)?.[1] ?? '';
  // An app's client id ends in its instance id (flowgate-gateway-<host>-<pid>); the topic tells instances apart.
  const client = /"clientId":"([^"]*)"/.exec(line)[1].replace(/^(flowgate-[a-z]+)-.*$/, '$1');
  return { client, api, topic, times };
}

/** Parsed lines → [{ client, api, topic, n, p50: [per stage], p90 }] with at least `least` requests, by topic. */
export function summarize(requests, least = 200) {
  const groups = new Map();
  for (const { client, api, topic, times } of requests) {
    const key = `${client} ${api} ${topic}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { client, api, topic, stages: STAGES.map(() => []) }));
    times.forEach((time, i) => group.stages[i].push(time));
  }
  return [...groups.values()]
    .filter(({ stages }) => stages[0].length >= least)
    .map(({ client, api, topic, stages }) => {
      for (const values of stages) values.sort((x, y) => x - y);
      return { client, api, topic, n: stages[0].length, p50: stages.map((values) => quantile(values, 0.5)), p90: quantile(stages[0], 0.9) };
    })
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.client.localeCompare(b.client) || a.api.localeCompare(b.api));
}

export function renderSummary(rows) {
  const ms = (value) => value.toFixed(3);
  return [
    '| client | request | topic | n | total p50 | queue | local | remote | response queue | send | total p90 |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(({ client, api, topic, n, p50, p90 }) => `| ${client} | ${api} | ${topic} | ${n} | ${p50.map(ms).join(' | ')} | ${ms(p90)} |`),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, least = '200'] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/broker-report.mjs <request log> [least count shown, default 200]');
    process.exit(2);
  }
  const requests = [];
  const lines = createInterface({ input: createReadStream(file) });
  lines.on('line', (line) => {
    const request = parseRequestLine(line);
    if (request) requests.push(request);
  });
  lines.on('close', () => console.log(renderSummary(summarize(requests, Number(least)))));
}
