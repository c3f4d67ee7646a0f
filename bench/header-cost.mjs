// What flowgate's Kafka headers cost kafkajs per request (issue 16, "cheaper records"): the
// request record and its reply, each encoded and decoded with kafkajs's own record codec, with
// the wire protocol's headers (libs/contracts/src/envelope.ts: 5 on a request, 7 on a reply),
// with the same values packed into one header per record, and with none. Samples of every
// variant are interleaved, their order rotating, and the median per variant printed with its
// ratio to the header-less record, so that one noisy sample cannot decide.
//   node bench/header-cost.mjs [samples=9] [records per sample=20000]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0');
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder');
const Decoder = require('kafkajs/src/protocol/decoder');

const samples = Number(process.argv[2] ?? 9);
const perSample = Number(process.argv[3] ?? 20_000);

const requestId = '0192f4c1-7a4e-7c4b-9f2a-3c1d5e6f7a8b';
const key = Buffer.from(requestId);
const requestValue = Buffer.from(JSON.stringify({ message: 'hello', n: 42 }));
const replyValue = Buffer.from(JSON.stringify({ message: 'hello', n: 42, result: 'ok' }));
const request = {
  'fg-request-id': requestId, 'fg-route': 'echo', 'fg-deadline': String(Date.now() + 10_000), 'fg-reply-partition': '3', 'fg-reply-mode': 'sync',
};
const reply = {
  'fg-request-id': requestId, 'fg-status': '200', 'fg-outcome': 'result', 'content-type': 'application/json', 'fg-reply-mode': 'sync',
  'fg-queue-ms': '2', 'fg-handle-ms': '0',
};
const packed = (headers) => ({ fg: Object.values(headers).join('\u001f') });

const VARIANTS = {
  'wire protocol (5 + 7 headers)': [request, reply],
  'packed (1 + 1 header)': [packed(request), packed(reply)],
  'no headers': [{}, {}],
};
const context = { firstOffset: '0', firstTimestamp: String(Date.now()), magicByte: 2 };

/** One request's records through the codec: each encoded, as a producer does, and decoded, as a consumer does. */
function roundTrip([requestHeaders, replyHeaders]) {
  let bytes = 0;
  for (const [value, headers] of [[requestValue, requestHeaders], [replyValue, replyHeaders]]) {
    const buffer = encodeRecord({ key, value, headers }).buffer;
    bytes += buffer.length;
    const record = decodeRecord(new Decoder(new Decoder(buffer).readVarIntBytes()), context);
    if (record.value.length !== value.length) throw new Error('codec mismatch');
  }
  return bytes;
}

const timings = Object.fromEntries(Object.keys(VARIANTS).map((name) => [name, []]));
const sizes = {};
for (const headers of Object.values(VARIANTS)) for (let i = 0; i < 5_000; i++) roundTrip(headers); // warm the JIT
const names = Object.keys(VARIANTS);
for (let sample = 0; sample < samples; sample++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + sample) % names.length];
    const started = process.hrtime.bigint();
    for (let n = 0; n < perSample; n++) sizes[name] = roundTrip(VARIANTS[name]);
    timings[name].push(Number(process.hrtime.bigint() - started) / 1e3 / perSample);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const base = median(timings['no headers']);
console.log(`kafkajs record codec, per request (request + reply, each encoded and decoded); median of ${samples} interleaved samples of ${perSample}`);
for (const name of names) {
  const us = median(timings[name]);
  console.log(`${name.padEnd(32)} ${us.toFixed(2).padStart(6)} µs (${Math.min(...timings[name]).toFixed(2)}–${Math.max(...timings[name]).toFixed(2)}), ` +
    `${(us / base).toFixed(2)}× no headers, +${(us - base).toFixed(2)} µs, ${sizes[name]} bytes`);
}
