import { randomBytes } from 'node:crypto';
import type { WireHeaders } from '@flowgate/contracts';
import { AppProcess } from './support/app-process';
import { windowAlignedPast } from './support/access-log';
import { Cluster } from './support/cluster';
import { eventually } from './support/http';
import { KafkaRecords, RawRecord, RecordToWrite, TopicTail } from './support/kafka-records';

/** The stack's broker keeps Kafka's default message.max.bytes (1 MiB, tools/stack/kafka.mjs): a value just under it. */
const HUGE_BYTES = 900 * 1024;
const REQUEST_HEADERS = ['fg-request-id', 'fg-route', 'fg-deadline', 'fg-reply-partition', 'fg-reply-mode'] as const;

/** What must become of a hostile record. */
type Outcome =
  /** Dead-lettered (`copies`: once per job reading the topic), and answered with a problem where its headers name a caller. */
  | { readonly dlq: RegExp; readonly copies?: number; readonly reply?: { readonly status: number; readonly type: string } }
  /** Not dead-lettered: the job refuses the body, and the caller gets a problem. */
  | { readonly rejected: RegExp };

interface Hostile {
  readonly name: string;
  readonly value: string | Buffer | null;
  readonly headers?: WireHeaders;
  readonly outcome: Outcome;
}

interface Written {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly requestId?: string;
  readonly record: RecordToWrite;
  readonly hostile?: Hostile;
}

/**
 * Hostile records written straight to the shared requests topic and to each demo job's own topic
 * (counter, access-log), each between valid records on the same partition: every one goes to the
 * DLQ with a reason naming the problem and its source (or, where the protocol answers the caller
 * instead, is answered with a problem), the valid records around it are all processed, and the
 * processor stays up, ready and moving.
 */
describe('hostile records on Kafka', () => {
  const cluster = new Cluster('kafka-fuzz');
  const kafka = new KafkaRecords('kafka-fuzz');
  const run = randomBytes(3).toString('hex');
  const topics = {
    requests: `${cluster.prefix}requests`,
    counter: `${cluster.prefix}counter`,
    accessLog: `${cluster.prefix}access-log`,
    replies: `${cluster.prefix}replies`,
    dlq: `${cluster.prefix}dlq`,
  };
  /** A 5 s window well in the past: every valid event of the test falls in it, none is late. */
  const windowStart = windowAlignedPast(2);
  let processor: AppProcess;
  let processorExit: number | null | undefined;
  let dlq: TopicTail;
  let replies: TopicTail;
  const written: Written[] = [];
  let seq = 0;

  beforeAll(async () => {
    processor = await cluster.start('processor');
    void processor.exited.then((code) => (processorExit = code));
    await cluster.start('gateway');
    [dlq, replies] = await Promise.all([kafka.tail(topics.dlq), kafka.tail(topics.replies)]);
  }, 60_000);
  afterAll(async () => {
    await kafka.close();
    await cluster.stopAll();
  });

  const deadline = () => String(Date.now() + 60_000);
  const requestHeaders = (requestId: string, route: string): Record<string, string | Buffer | null | (string | Buffer)[]> => ({
    'fg-request-id': requestId,
    'fg-route': route,
    'fg-deadline': deadline(),
    'fg-reply-partition': '0',
    'fg-reply-mode': 'sync',
  });

  /** Every way a request's headers can break, for requests of `route` with `body` (a body that is fine in itself). */
  function headerCases(route: string, body: string): Hostile[] {
    const broken = (name: string, change: (headers: ReturnType<typeof requestHeaders>) => void, dlq: RegExp): Hostile => {
      const headers = requestHeaders(`hdr-${run}-${seq++}`, route);
      change(headers);
      return { name, value: body, headers, outcome: { dlq } };
    };
    const set = (header: string, value: string | Buffer | null | (string | Buffer)[]) => (headers: ReturnType<typeof requestHeaders>) => {
      headers[header] = value;
    };
    return [
      ...REQUEST_HEADERS.map((header) => broken(`without ${header}`, (h) => delete h[header], new RegExp(`^header ${header} is missing$`))),
      broken('fg-route twice', set('fg-route', [route, 'fail']), /^header fg-route appears 2 times$/),
      broken('fg-request-id twice', (h) => (h['fg-request-id'] = [String(h['fg-request-id']), `other-${run}`]), /^header fg-request-id appears 2 times$/),
      broken('fg-deadline twice', set('fg-deadline', [deadline(), '1']), /^header fg-deadline appears 2 times$/),
      broken('fg-reply-partition twice', set('fg-reply-partition', ['0', '1']), /^header fg-reply-partition appears 2 times$/),
      broken('fg-reply-mode twice', set('fg-reply-mode', ['sync', 'async']), /^header fg-reply-mode appears 2 times$/),
      broken('fg-deadline not a number', set('fg-deadline', 'soon'), /^header fg-deadline is not a non-negative integer: "soon"$/),
      broken('fg-deadline negative', set('fg-deadline', '-5'), /^header fg-deadline is not a non-negative integer: "-5"$/),
      broken('fg-reply-partition negative', set('fg-reply-partition', '-1'), /^header fg-reply-partition is not a non-negative integer: "-1"$/),
      broken('fg-reply-partition beyond the topic', set('fg-reply-partition', '99999'), /^reply partition 99999 does not exist$/),
      broken('fg-reply-partition beyond any integer', set('fg-reply-partition', '9'.repeat(40)), /^header fg-reply-partition is not a non-negative integer/),
      broken('fg-reply-mode unknown', set('fg-reply-mode', 'maybe'), /^header fg-reply-mode must be sync or async$/),
      broken('fg-route not a route name', set('fg-route', '../Admin Route'), /^header fg-route is not a route name: "\.\.\/Admin Route"$/),
      broken('fg-request-id not a request id', set('fg-request-id', 'has space'), /^header fg-request-id is not a valid request id$/),
      broken('fg-route not UTF-8', set('fg-route', Buffer.from([0x65, 0xc3, 0x28])), /^header fg-route is not UTF-8$/),
      broken('fg-request-id not UTF-8', set('fg-request-id', Buffer.from([0x61, 0xff])), /^header fg-request-id is not UTF-8$/),
      broken('fg-caller-id not UTF-8', set('fg-caller-id', Buffer.from([0x61, 0xfe, 0x62])), /^header fg-caller-id is not UTF-8$/),
      broken('fg-caller-id with a line break', set('fg-caller-id', 'ada\nadmin'), /^header fg-caller-id is not a caller id$/),
      broken('fg-route null', set('fg-route', null), /^header fg-route is missing$/),
    ];
  }

  /** Values that are not a JSON object: as a request's body (headers fine; the caller gets a 400) or as an event (no headers). */
  function valueCases(headers: (() => WireHeaders) | undefined, copies = 1): Hostile[] {
    const reply = headers ? { status: 400, type: 'urn:flowgate:problem:bad-body' } : undefined;
    const cases: [string, string | Buffer | null, RegExp][] = [
      ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x7b]), /value is not UTF-8/],
      ['a JSON object with a byte that is not UTF-8', Buffer.concat([Buffer.from('{"key":"'), Buffer.from([0xc0]), Buffer.from('","ip":"10.0.0.1"}')]), /value is not UTF-8/],
      ['not JSON', '{"key":', /value is not JSON: /],
      ['an array', '[1,2,3]', /value is not a JSON object \(an array\)/],
      ['a number', '42', /value is not a JSON object \(a number\)/],
      ['a string', '"text"', /value is not a JSON object \(a string\)/],
      ['null', 'null', /value is not a JSON object \(null\)/],
      ['with a __proto__ key', '{"key":"k","ip":"10.0.0.1","__proto__":{"by":5}}', /value has a key named __proto__ or constructor\.prototype$/],
      ['empty', '', /value is empty/],
      ['a tombstone', null, /value is empty/],
      [`${HUGE_BYTES} bytes of binary`, Buffer.alloc(HUGE_BYTES, 0xfe), /value is not UTF-8/],
    ];
    return cases.map(([name, value, dlq]) => ({
      name: `value ${name}`,
      value,
      ...(headers ? { headers: headers() } : {}),
      outcome: { dlq, copies, ...(reply ? { reply } : {}) },
    }));
  }

  /** A request of `route` with `body` that a job refuses (fields of the wrong type): a problem to the caller, no dead letter. */
  const rejected = (route: string, body: unknown, detail: RegExp): Hostile => ({
    name: `${route} ${JSON.stringify(body)}`,
    value: JSON.stringify(body),
    headers: requestHeaders(`bad-${run}-${seq++}`, route),
    outcome: { rejected: detail },
  });

  const unknownRoute = (route: string): Hostile => ({
    name: `route ${route} on the wrong topic`,
    value: '{"key":"k","ip":"10.0.0.1"}',
    headers: requestHeaders(`route-${run}-${seq++}`, route),
    outcome: { dlq: new RegExp(`^unknown route "${route}": no job of this processor serves it$`), reply: { status: 404, type: 'urn:flowgate:problem:unknown-route' } },
  });

  /**
   * Writes `hostile` to `topic`, each on the next partition in turn, with a valid record before it
   * and one after it on the same partition (the next record's predecessor, or a last one each).
   * A huge record goes in a produce request of its own: a batch with it and others would be over
   * the broker's limit.
   */
  async function writeAmongValid(topic: string, hostile: Hostile[], valid: (partition: number) => RecordToWrite & { key: string }): Promise<void> {
    const partitions = await kafka.partitionCount(topic);
    const plan: (RecordToWrite & { partition: number; key: string; hostile?: Hostile })[] = [];
    hostile.forEach((h, i) => {
      const partition = i % partitions;
      plan.push({ ...valid(partition), partition });
      plan.push({ key: `hostile-${run}-${seq++}`, value: h.value, ...(h.headers ? { headers: h.headers } : {}), partition, hostile: h });
    });
    for (let partition = 0; partition < partitions; partition++) plan.push({ ...valid(partition), partition });
    const isHuge = (r: RecordToWrite) => Buffer.isBuffer(r.value) && r.value.length > 100_000;
    let batch: typeof plan = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const offsets = await kafka.writeAt(topic, batch.map(({ hostile: _h, ...record }) => record));
      batch.forEach((r, i) => {
        const requestId = typeof r.headers?.['fg-request-id'] === 'string' ? r.headers['fg-request-id'] : undefined;
        written.push({ topic, partition: r.partition, offset: offsets[i], key: r.key, record: r, ...(r.hostile ? { hostile: r.hostile } : {}), ...(requestId ? { requestId } : {}) });
      });
      batch = [];
    };
    for (const record of plan) {
      if (isHuge(record)) await flush();
      batch.push(record);
      if (isHuge(record)) await flush();
    }
    await flush();
  }

  const counterKey = (partition: number) => `fuzz-${run}-p${partition}`;
  const ip = (partition: number) => `10.${partition}.0.${parseInt(run.slice(0, 2), 16)}`;
  let eventTs = 0;
  const validEcho = (): RecordToWrite & { key: string } => {
    const id = `ok-echo-${run}-${seq++}`;
    return { key: id, value: JSON.stringify({ n: seq, run }), headers: requestHeaders(id, 'echo') };
  };
  const validIncrement = (partition: number): RecordToWrite & { key: string } => {
    const id = `ok-counter-${run}-${seq++}`;
    return { key: counterKey(partition), value: JSON.stringify({ key: counterKey(partition), by: 1 }), headers: requestHeaders(id, 'counter') };
  };
  const validEvent = (partition: number): RecordToWrite & { key: string } => ({
    key: ip(partition),
    value: JSON.stringify({ ts: windowStart + (eventTs++ % 5_000), ip: ip(partition) }),
  });
  const ipCountsQuery = (partition: number): RecordToWrite & { key: string } => {
    const id = `ok-query-${run}-${seq++}`;
    return { key: ip(partition), value: JSON.stringify({ ip: ip(partition) }), headers: requestHeaders(id, 'ip-counts') };
  };

  const metric = (name: string, labels: Record<string, string>) => processor.metric(name, labels);
  const replyTo = (requestId: string): RawRecord | undefined => replies.records.find((r) => r.headers['fg-request-id'] === requestId);
  const json = (record: RawRecord | undefined) => JSON.parse(record?.value ?? 'null') as Record<string, unknown>;
  const lettersOf = (w: Written) => dlq.records.filter((r) => r.headers['fg-dlq-source'] === `${w.topic}/${w.partition}/${w.offset}`);

  it('dead-letters or answers every hostile record, processes the valid ones around them, and keeps going', async () => {
    const before = {
      protocol: await metric('flowgate_processor_dead_letters_total', { reason: 'protocol' }),
      handler: await metric('flowgate_processor_dead_letters_total', { reason: 'handler' }),
      invalid: await metric('flowgate_processor_records_total', { result: 'invalid' }),
      rejected: await metric('flowgate_processor_records_total', { result: 'rejected' }),
      processed: await metric('flowgate_processor_records_total', { result: 'processed' }),
      failed: await metric('flowgate_processor_records_total', { result: 'failed' }),
      expired: await metric('flowgate_processor_records_total', { result: 'expired' }),
    };

    // The shared requests topic: stateless routes, handled concurrently within a partition.
    const msDetail = /"ms" must be a whole number from 0 to 60000/;
    await writeAmongValid(
      topics.requests,
      [
        { name: 'no headers at all', value: '{}', outcome: { dlq: /^header fg-request-id is missing$/ } },
        ...headerCases('echo', '{"n":0}'),
        ...valueCases(() => requestHeaders(`val-${run}-${seq++}`, 'echo')),
        unknownRoute('nope'),
        ...[{ ms: '10' }, { ms: null }, { ms: -1 }, { ms: 1.5 }, { ms: { n: 10 } }, {}].map((body) => rejected('delay', body, msDetail)),
      ],
      () => validEcho(),
    );
    // Valid bodies just under the limit are answered like any other, two at once to the same reply partition.
    const hugeIds = [0, 1].map((i) => `ok-huge-${run}-${i}`);
    await kafka.writeAt(topics.requests, hugeIds.map((id, partition) => ({ key: id, value: JSON.stringify({ pad: 'x'.repeat(HUGE_BYTES) }), headers: requestHeaders(id, 'echo'), partition })));

    // The counter's own topic: a keyed job, each batch one transaction. A hostile record taken for an
    // increment of the partition's key would show in the values the valid increments get back.
    const keyDetail = /"key" must be a string of 1 to 256 characters or a number/;
    const byDetail = /"by" must be a whole number/;
    await writeAmongValid(
      topics.counter,
      [
        { name: 'no headers at all', value: '{"key":"k"}', outcome: { dlq: /^header fg-request-id is missing$/ } },
        ...headerCases('counter', JSON.stringify({ key: counterKey(0), by: 1 })),
        ...valueCases(() => requestHeaders(`val-${run}-${seq++}`, 'counter')),
        unknownRoute('echo'),
        ...[{ key: { a: 1 } }, { key: null }, { key: [1] }, { key: true }, { key: '' }, { by: 1 }].map((body) => rejected('counter', body, keyDetail)),
        ...[{ by: '2' }, { by: null }, { by: 1.5 }, { by: [1] }].map((by) => rejected('counter', { key: counterKey(1), ...by }, byDetail)),
      ],
      validIncrement,
    );

    // The access log: events (no headers) for two jobs, ip-count and ip-count-sliding, and ip-counts
    // queries (request headers) for ip-count. A broken event is dead-lettered by each job.
    const tsDetail = /^RouteError: "ts" must be epoch milliseconds$/;
    const ipDetail = /^RouteError: "ip" must be a string of 1 to 256 characters$/;
    const badEvent = (event: Record<string, unknown>, dlq: RegExp): Hostile => ({ name: `event ${JSON.stringify(event)}`, value: JSON.stringify(event), outcome: { dlq, copies: 2 } });
    await writeAmongValid(
      topics.accessLog,
      [
        // A valid event and a valid query in themselves: only the headers are wrong.
        ...headerCases('ip-counts', JSON.stringify({ ip: ip(0), ts: windowStart })),
        ...valueCases(() => requestHeaders(`val-${run}-${seq++}`, 'ip-counts')),
        ...valueCases(undefined, 2),
        unknownRoute('counter'),
        ...[{ ip: 7 }, { ip: null }, { ip: { v4: '10.0.0.1' } }, {}].map((body) => rejected('ip-counts', body, /"ip" must be a string of 1 to 256 characters/)),
        ...[{ ts: String(windowStart) }, { ts: null }, { ts: -1 }, { ts: 1.5 }, {}].map((ts) => badEvent({ ip: ip(1), ...ts }, tsDetail)),
        ...[{ ip: 7 }, { ip: null }, { ip: ['10.0.0.1'] }, { ip: '' }, {}].map((bad) => badEvent({ ts: windowStart, ...bad }, ipDetail)),
      ],
      validEvent,
    );
    const hostile = written.filter((w) => w.hostile);
    const valid = written.filter((w) => !w.hostile);

    // Every valid request is answered, every increment in the order it was written.
    const answered = valid.filter((w) => w.requestId);
    await eventually(() => [...answered.map((w) => w.requestId!), ...hugeIds].every(replyTo), 30_000, 'replies to every valid request');
    for (const w of answered) expect({ id: w.requestId, status: replyTo(w.requestId!)!.headers['fg-status'] }).toEqual({ id: w.requestId, status: '200' });
    for (const id of hugeIds) expect((json(replyTo(id)).pad as string).length).toBe(HUGE_BYTES);
    const partitions = await kafka.partitionCount(topics.counter);
    for (let partition = 0; partition < partitions; partition++) {
      const values = valid.filter((w) => w.topic === topics.counter && w.partition === partition).map((w) => json(replyTo(w.requestId!)));
      expect(values).toEqual(values.map((_, i) => ({ key: counterKey(partition), value: i + 1 })));
    }

    // Every hostile record: dead-lettered as often as jobs read it, with the reason and its source, value and headers as written.
    const letters = hostile.flatMap((w) => ('dlq' in w.hostile!.outcome ? [{ w, outcome: w.hostile!.outcome }] : []));
    const expectedLetters = letters.reduce((sum, { outcome }) => sum + (outcome.copies ?? 1), 0);
    await eventually(() => letters.every(({ w, outcome }) => lettersOf(w).length >= (outcome.copies ?? 1)), 30_000, 'a dead letter of every hostile record');
    for (const { w, outcome } of letters) {
      const found = lettersOf(w);
      const what = `${w.topic.slice(cluster.prefix.length)}: ${w.hostile!.name}`;
      expect({ what, copies: found.length, reasons: found.map((l) => l.headers['fg-dlq-reason']) }).toEqual({
        what,
        copies: outcome.copies ?? 1,
        reasons: found.map(() => expect.stringMatching(outcome.dlq)),
      });
      // An event's letters say which job wrote each; a request's name none (its route says it).
      const jobs = found.map((l) => l.headers['fg-dlq-job']).sort();
      const isEvent = w.topic === topics.accessLog && !w.record.headers;
      expect({ what, jobs }).toEqual({ what, jobs: isEvent ? ['ip-count', 'ip-count-sliding'] : found.map(() => undefined) });
      for (const letter of found) {
        expect(letter.key).toBe(w.key);
        expect(letter.raw.value?.equals(toBuffer(w.record.value))).toBe(true);
        for (const [name, value] of Object.entries(w.record.headers ?? {})) {
          if (Array.isArray(value)) expect({ what, name, values: letter.raw.headers[name] }).toEqual({ what, name, values: value.map(toBuffer) });
          else if (Buffer.isBuffer(value)) expect({ what, name, value: letter.raw.headers[name] }).toEqual({ what, name, value });
        }
      }
      const reply = 'reply' in outcome ? outcome.reply : undefined;
      if (reply) {
        const answer = replyTo(w.requestId!);
        expect({ what, status: answer?.headers['fg-status'], type: json(answer).type, detail: json(answer).detail }).toEqual({
          what,
          status: String(reply.status),
          type: reply.type,
          detail: reply.status === 400 ? expect.stringMatching(outcome.dlq) : expect.any(String),
        });
      }
    }

    // Bodies a job refuses: a problem to the caller, and no dead letter.
    const refused = hostile.filter((w) => 'rejected' in w.hostile!.outcome);
    await eventually(() => refused.every((w) => replyTo(w.requestId!)), 10_000, 'problem replies to refused bodies');
    for (const w of refused) {
      const answer = replyTo(w.requestId!);
      const { rejected: detail } = w.hostile!.outcome as { rejected: RegExp };
      expect({ what: w.hostile!.name, status: answer?.headers['fg-status'], type: json(answer).type, detail: json(answer).detail }).toEqual({
        what: w.hostile!.name,
        status: '400',
        type: 'urn:flowgate:problem:bad-body',
        detail: expect.stringMatching(detail),
      });
    }

    // Nothing else in the DLQ (no valid or refused record), no reply to a request whose headers were broken.
    await eventually(async () => (await metric('flowgate_processor_dead_letters_total', { reason: 'protocol' })) - before.protocol >= expectedLetters, 10_000, 'dead letters counted');
    expect(dlq.records.length).toBe(expectedLetters);
    expect(replies.records.filter((r) => r.headers['fg-request-id']?.startsWith(`hdr-${run}`)).map((r) => r.headers['fg-request-id'])).toEqual([]);

    // Still moving: records written after the last hostile one, on every partition of every topic, are processed within seconds.
    const probeStarted = Date.now();
    const probes: Written[] = [];
    const probe = async (topic: string, make: (partition: number) => RecordToWrite & { key: string }) => {
      const count = await kafka.partitionCount(topic);
      const records = Array.from({ length: count }, (_, partition) => ({ ...make(partition), partition }));
      const offsets = await kafka.writeAt(topic, records);
      records.forEach((r, i) => {
        const requestId = r.headers?.['fg-request-id'];
        probes.push({ topic, partition: r.partition, offset: offsets[i], key: r.key, record: r, ...(typeof requestId === 'string' ? { requestId } : {}) });
      });
    };
    await probe(topics.requests, () => validEcho());
    await probe(topics.counter, validIncrement);
    await probe(topics.accessLog, validEvent);
    await probe(topics.accessLog, ipCountsQuery);
    const answeredProbes = probes.filter((p) => p.requestId);
    await eventually(() => answeredProbes.every((p) => replyTo(p.requestId!)), 5_000, 'replies to records written after the hostile ones');
    const probeMs = Date.now() - probeStarted;
    expect(probeMs).toBeLessThan(5_000);
    for (const p of answeredProbes.filter((a) => a.topic === topics.counter)) {
      const increments = valid.filter((w) => w.topic === topics.counter && w.partition === p.partition).length;
      expect(json(replyTo(p.requestId!))).toEqual({ key: counterKey(p.partition), value: increments + 1 });
    }
    // The queries come after every valid event of their partition: each one counted, no hostile one.
    for (const p of answeredProbes.filter((a) => a.topic === topics.accessLog)) {
      const events = [...valid, ...probes].filter((w) => w.topic === topics.accessLog && w.partition === p.partition && !w.record.headers).length;
      expect({ partition: p.partition, answer: json(replyTo(p.requestId!)) }).toEqual({
        partition: p.partition,
        answer: { ip: ip(p.partition), windows: [{ start: windowStart, end: windowStart + 5_000, count: events, final: false }] },
      });
    }

    // The processor is up, ready, and counted what was sent.
    expect(processorExit).toBeUndefined();
    expect((await fetch(`${processor.url}/readyz`)).status).toBe(200);
    const validEvents = [...valid, ...probes].filter((w) => w.topic === topics.accessLog && !w.record.headers).length;
    const validRequests = answered.length + hugeIds.length + answeredProbes.length;
    const delta = async (name: string, labels: Record<string, string>, base: number) => (await metric(name, labels)) - base;
    await eventually(async () => (await delta('flowgate_processor_records_total', { result: 'processed' }, before.processed)) >= validRequests + 2 * validEvents, 10_000, 'valid records counted');
    expect({
      deadLetters: await delta('flowgate_processor_dead_letters_total', { reason: 'protocol' }, before.protocol),
      handlerDeadLetters: await delta('flowgate_processor_dead_letters_total', { reason: 'handler' }, before.handler),
      invalid: await delta('flowgate_processor_records_total', { result: 'invalid' }, before.invalid),
      rejected: await delta('flowgate_processor_records_total', { result: 'rejected' }, before.rejected),
      processed: await delta('flowgate_processor_records_total', { result: 'processed' }, before.processed),
      failed: await delta('flowgate_processor_records_total', { result: 'failed' }, before.failed),
      expired: await delta('flowgate_processor_records_total', { result: 'expired' }, before.expired),
    }).toEqual({
      deadLetters: expectedLetters,
      handlerDeadLetters: 0,
      invalid: expectedLetters,
      rejected: refused.length,
      // Each valid event is processed by both jobs reading the access log.
      processed: validRequests + 2 * validEvents,
      failed: 0,
      expired: 0,
    });
    console.log(
      `kafka-fuzz: ${hostile.length} hostile records (${letters.length} dead-lettered as ${expectedLetters} letters, ${refused.length} refused with a problem), ` +
        `${valid.length + probes.length} valid records around them, records written after them processed in ${probeMs} ms`,
    );
  }, 120_000);
});

function toBuffer(value: string | Buffer | null | undefined): Buffer {
  if (value === null || value === undefined) return Buffer.alloc(0);
  return Buffer.isBuffer(value) ? value : Buffer.from(value);
}
