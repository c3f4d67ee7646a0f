// Hop tracing for the bench (BENCH_HOP_TRACE=<dir>, loaded with `node --import`): records when each
// request passes each hop of its round trip, in microseconds on a clock all processes of the
// machine share (performance.timeOrigin + performance.now()), so that the hops of one request can
// be joined across processes afterwards (bench/hop-report.mjs). The echo answer's own timestamps
// are Date.now() milliseconds, too coarse for hops of one or two milliseconds.
//
// Per record with a request id (flowgate's fg-request-id header, the floor's id header):
//   send:<topic>   kafkajs's producer.sendBatch was called with it (after any batching or linger)
//   fetch:<topic>  kafkajs handed it to the consumer's eachBatch
//   bytes:<topic>  the last bytes of the fetch response that carried it reached kafkajs's
//                  connection (so the broker's and the network's share ends here, kafkajs's begins)
// and per HTTP answer with an X-Request-Id (flowgate's gateway):
//   arrive         the request's 'request' event on the HTTP server
//   end            the answer's res.end() returned
// and per produce request (keyed by <pid>-<count>: one carries records of several requests):
//   produce:start  kafkajs's connection took it (before encoding it)
//   produce:written  it was written to the socket (encoded; a request of another kind written in
//                  between on the same connection, rare on a producer's, would shift this)
//   produce:acked  its response was decoded: the produce's round trip through the broker
// Written to $HOP_TRACE_DIR/<HOP_TRACE_NAME>-<pid>.json when the process exits (or on SIGTERM).
// --import loads it before the app; kafkajs's classes are patched in place, in the module the app
// will load (the same file, so the same cached module).
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const dir = process.env.HOP_TRACE_DIR;
const name = (process.env.HOP_TRACE_NAME ?? 'process').replace(/[^\w.-]+/g, '_');
/** Events of at most this many requests per kind: a bench run's steps, bounded. */
const MAX_EVENTS = 1_000_000;
const now = () => performance.timeOrigin + performance.now();
/** kind → [id, µs, id, µs, ...] */
const events = {};
function record(kind, id, at) {
  const list = (events[kind] ??= []);
  if (list.length < 2 * MAX_EVENTS) list.push(id, Math.round(at * 1000));
}
function requestId(headers) {
  const id = headers?.['fg-request-id'] ?? headers?.id;
  return id === undefined || id === null ? undefined : String(id);
}

let kafkajs;
let Connection;
try {
  const load = createRequire(join(process.cwd(), 'package.json'));
  kafkajs = load('kafkajs');
  // kafkajs's internal module, as libs/kafkajs-fixes/src/request-queue-timer.ts uses (2.2.4 is pinned).
  Connection = load('kafkajs/src/network/connection');
} catch {
  kafkajs = undefined; // not a Kafka client: nothing to trace
}

if (dir && kafkajs) {
  const { Kafka } = kafkajs;
  const createConsumer = Kafka.prototype.consumer;
  Kafka.prototype.consumer = function consumer(...args) {
    const created = createConsumer.apply(this, args);
    const run = created.run;
    created.run = (config) => {
      const { eachBatch } = config;
      if (!eachBatch) return run(config);
      return run({
        ...config,
        eachBatch: (payload) => {
          const at = now();
          const { topic } = payload.batch;
          const bytesAt = fetchBytesAt.get(topic);
          for (const message of payload.batch.messages) {
            const id = requestId(message.headers);
            if (id === undefined) continue;
            record(`fetch:${topic}`, id, at);
            if (bytesAt !== undefined) record(`bytes:${topic}`, id, bytesAt);
          }
          return eachBatch(payload);
        },
      });
    };
    return created;
  };
  const createProducer = Kafka.prototype.producer;
  Kafka.prototype.producer = function producer(...args) {
    const created = createProducer.apply(this, args);
    const sendBatch = created.sendBatch;
    created.sendBatch = (batch) => {
      const at = now();
      for (const { topic, messages } of batch.topicMessages ?? []) {
        for (const message of messages) {
          const id = requestId(message.headers);
          if (id !== undefined) record(`send:${topic}`, id, at);
        }
      }
      return sendBatch(batch);
    };
    return created;
  };

  // When each topic's latest fetch response arrived: its last chunk, before kafkajs decodes it.
  const fetchBytesAt = new Map();
  const processData = Connection.prototype.processData;
  Connection.prototype.processData = function processDataTraced(data) {
    this.traceDataAt = now();
    return processData.call(this, data);
  };
  let produced = 0;
  const send = Connection.prototype.send;
  Connection.prototype.send = function sendTraced(args) {
    const sent = send.call(this, args);
    if (args.request.apiKey === 1) { // Fetch
      sent.then((response) => {
        for (const { topicName } of response?.responses ?? []) fetchBytesAt.set(topicName, this.traceDataAt);
      }, () => undefined);
      return sent;
    }
    if (args.request.apiKey !== 0) return sent; // Produce
    const id = `${process.pid}-${++produced}`;
    record('produce:start', id, now());
    if (this.socket) (this.socket.traceProduces ??= []).push(id);
    sent.then(() => record('produce:acked', id, now()), () => undefined);
    return sent;
  };

  const socketWrite = net.Socket.prototype.write;
  net.Socket.prototype.write = function writeTraced(...args) {
    const id = this.traceProduces?.shift();
    if (id !== undefined) record('produce:written', id, now());
    return socketWrite.apply(this, args);
  };

  // HTTP: when a request arrived, and when its answer was written. Its id is known only at the end.
  const arrived = new WeakMap();
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function emitTraced(event, request, ...rest) {
    if (event === 'request') arrived.set(request, now());
    return emit.call(this, event, request, ...rest);
  };
  const end = http.ServerResponse.prototype.end;
  http.ServerResponse.prototype.end = function endTraced(...args) {
    const result = end.apply(this, args);
    const id = this.getHeader('x-request-id') ?? this.traceRequestId;
    if (id !== undefined && this.req && arrived.has(this.req)) {
      record('arrive', String(id), arrived.get(this.req));
      record('end', String(id), now());
    }
    return result;
  };
  // Fastify passes its headers to writeHead, where getHeader does not see them afterwards.
  const writeHead = http.ServerResponse.prototype.writeHead;
  http.ServerResponse.prototype.writeHead = function writeHeadTraced(status, ...rest) {
    const headers = rest.find((arg) => arg !== null && typeof arg === 'object' && !Array.isArray(arg));
    if (headers?.['x-request-id'] !== undefined) this.traceRequestId = headers['x-request-id'];
    return writeHead.call(this, status, ...rest);
  };

  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    writeFileSync(join(dir, `${name}-${process.pid}.json`), JSON.stringify({ name, pid: process.pid, events }));
  };
  process.on('exit', write);
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      write();
      // Alone, this listener would keep the process alive: end it as the signal would have.
      if (process.listenerCount(signal) === 1) process.exit(0);
    });
  }
}
