import { Inject, Injectable, Logger } from '@nestjs/common';
import { decodeRequestHeaders, HEADERS, problem, ProtocolError, RequestMeta } from '@flowgate/contracts';
import type { ConsumedRecord, OutgoingRecord } from '@flowgate/kafka';
import type { ProcessorMetrics } from '@flowgate/metrics';
import { RecordContext, RouteError, RouteReply } from '@flowgate/stream';
import { PROCESSOR_METRICS } from '../processor.tokens';
import { scriptFailureReply } from '../scripts/script-failures';
import type { RouteScriptOutcome, ScriptRegistry } from '../scripts/script-registry';
import { ProcessorKafka } from './processor-kafka.service';
import { recordObject } from './consumed-record';

export type RunJob = (value: unknown, ctx: RecordContext) => Promise<unknown[]>;

/** Route scripts, for requests whose route no job here serves (the shared requests topic only). */
export type RouteScripts = Pick<ScriptRegistry, 'runRoute'>;

/** What became of one request record: the records to write, and until when a reply is useful. */
export interface Handled {
  readonly outputs: OutgoingRecord[];
  readonly deadline: number;
}

/**
 * The request protocol around a job: decode the record's headers (a broken record goes to the
 * DLQ), skip it when its deadline has passed, parse the body, run the job, and turn its result or
 * failure into the reply (plus a dead letter when the job itself failed). It returns the records
 * to write instead of writing them, so the same code serves the at-least-once path and the
 * transactional one.
 */
@Injectable()
export class RequestRecords {
  private readonly logger = new Logger(RequestRecords.name);

  constructor(
    @Inject(PROCESSOR_METRICS) private readonly metrics: ProcessorMetrics,
    private readonly kafka: ProcessorKafka,
  ) {}

  /**
   * Handles one request record. Its reply carries how long the record waited before this call took
   * it (`fg-queue-ms`) and how long the handling took (`fg-handle-ms`): the gateways' flow control
   * reads them.
   */
  async handle(record: ConsumedRecord, run: (route: string) => RunJob | undefined, scripts?: RouteScripts): Promise<Handled> {
    const takenAt = Date.now();
    const handled = await this.handleRequest(record, run, scripts);
    const timing = { queueMs: Math.max(0, takenAt - Number(record.timestamp)), handleMs: Date.now() - takenAt };
    return { ...handled, outputs: handled.outputs.map((output) => this.kafka.withTiming(output, timing)) };
  }

  private async handleRequest(record: ConsumedRecord, run: (route: string) => RunJob | undefined, scripts?: RouteScripts): Promise<Handled> {
    let meta: RequestMeta;
    try {
      meta = decodeRequestHeaders(record.headers);
      if (!this.kafka.isReplyPartition(meta.replyPartition)) {
        throw new ProtocolError(`reply partition ${meta.replyPartition} does not exist`);
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.metrics.records.inc({ route: 'unknown', result: 'invalid' });
      return { outputs: [this.kafka.deadLetterRecord(record, error.message, 'protocol')], deadline: Date.now() };
    }
    const { route, deadline } = meta;
    if (Date.now() >= deadline) {
      // Nobody waits for this any more: skipping it is what lets a backlog drain fast.
      this.metrics.records.inc({ route, result: 'expired' });
      return { outputs: [], deadline };
    }
    let body: unknown;
    try {
      // The gateway sends JSON objects only; jobs are written against that.
      body = recordObject(record.value);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.metrics.records.inc({ route, result: 'invalid' });
      return {
        outputs: [this.kafka.deadLetterRecord(record, error.message, 'protocol'), this.problemReply(meta, 'badBody', error.message)],
        deadline,
      };
    }
    const job = run(route);
    const scripted = job ? undefined : await this.runScript(record, meta, body, scripts);
    if (scripted) return { outputs: this.scriptOutputs(record, meta, scripted), deadline };
    if (!job) {
      // The gateway's catalog named a route no job here serves: a deployment out of step, not a bug of a job.
      this.metrics.records.inc({ route: 'unknown', result: 'invalid' });
      const reason = `unknown route "${route}": no job of this processor serves it`;
      return { outputs: [this.kafka.deadLetterRecord(record, reason, 'protocol'), this.problemReply(meta, 'unknownRoute', `no processor serves route ${route}`)], deadline };
    }
    return { outputs: await this.runJob(record, meta, body, job), deadline };
  }

  /**
   * A plain event (no request headers) on a job's topic: run the job on its JSON value; a value
   * that is not a JSON object, or a job that fails on it, sends the record to the DLQ, naming `job`.
   */
  async handleEvent(record: ConsumedRecord, run: RunJob, job: string): Promise<OutgoingRecord[]> {
    const id = `${record.topic}/${record.partition}/${record.offset}`;
    try {
      await run(recordObject(record.value), { id, partition: record.partition, timestamp: Number(record.timestamp), deadline: Infinity });
      this.metrics.records.inc({ route: 'event', result: 'processed' });
      return [];
    } catch (error) {
      const expected = error instanceof RouteError || error instanceof ProtocolError;
      this.metrics.records.inc({ route: 'event', result: expected ? 'invalid' : 'failed' });
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (!expected) this.logger.error(`event ${id} failed: ${error instanceof Error ? error.stack : reason}`);
      return [this.kafka.deadLetterRecord(record, reason, expected ? 'protocol' : 'handler', job)];
    }
  }

  private async runJob(record: ConsumedRecord, meta: RequestMeta, body: unknown, job: RunJob): Promise<OutgoingRecord[]> {
    const { route } = meta;
    const started = process.hrtime.bigint();
    try {
      const ctx: RecordContext = {
        id: meta.requestId, partition: record.partition, timestamp: Number(record.timestamp), deadline: meta.deadline, route,
        ...(meta.callerId === undefined ? {} : { callerId: meta.callerId }),
      };
      const [answer] = await job(body, ctx);
      // A job that filtered its value out has nothing to say: 204.
      const reply = answer instanceof RouteReply ? answer : new RouteReply(answer === undefined ? 204 : 200, answer);
      this.metrics.records.inc({ route, result: 'processed' });
      return [this.kafka.replyRecord(meta, reply.status, reply.body)];
    } catch (error) {
      if (error instanceof RouteError) {
        this.metrics.records.inc({ route, result: 'rejected' });
        return [this.problemReply(meta, error.problem, error.message)];
      }
      this.metrics.records.inc({ route, result: 'failed' });
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.logger.error(`route ${route} failed for ${meta.requestId}: ${error instanceof Error ? error.stack : reason}`);
      // The caller learns that it failed, not how: stack traces stay in the log and the DLQ.
      return [this.kafka.deadLetterRecord(record, reason, 'handler'), this.problemReply(meta, 'handlerFailed', `route ${route} failed`)];
    } finally {
      this.metrics.handlerDuration.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /** Runs the active route script of the request's route, if there is one. */
  private async runScript(record: ConsumedRecord, meta: RequestMeta, body: unknown, scripts: RouteScripts | undefined): Promise<RouteScriptOutcome | undefined> {
    if (!scripts) return undefined;
    const key = record.key?.toString('utf8');
    const ctx = {
      id: meta.requestId, route: meta.route, partition: record.partition, timestamp: Number(record.timestamp), deadline: meta.deadline,
      // Without a key field the gateway keys the record by its request id: no key of the caller's.
      ...(key === undefined || key === meta.requestId ? {} : { key }),
      ...(meta.callerId === undefined ? {} : { callerId: meta.callerId }),
    };
    const started = process.hrtime.bigint();
    const outcome = await scripts.runRoute(meta.route, body, ctx, key ?? meta.requestId);
    if (outcome) this.metrics.handlerDuration.observe({ route: meta.route }, Number(process.hrtime.bigint() - started) / 1e9);
    return outcome;
  }

  /** The reply of a route script (carrying its version), the records it emitted, and a dead letter when it failed. */
  private scriptOutputs(record: ConsumedRecord, meta: RequestMeta, { script, result, error, emits }: RouteScriptOutcome): OutgoingRecord[] {
    const { route } = meta;
    const headers = { [HEADERS.scriptVersion]: script.label };
    if (!error) {
      this.metrics.records.inc({ route, result: 'processed' });
      const emitted = emits.map(({ topic, key, value }) => ({ topic, key, value: JSON.stringify(value ?? null) }));
      return [this.kafka.replyRecord(meta, result === undefined ? 204 : 200, result, headers), ...emitted];
    }
    const failure = scriptFailureReply(script, error, meta.requestId);
    const reply = this.kafka.replyRecord(meta, failure.problem.status, failure.problem, headers);
    if (!failure.deadLetter) {
      this.metrics.records.inc({ route, result: 'rejected' });
      return [reply];
    }
    this.metrics.records.inc({ route, result: 'failed' });
    this.logger.warn(`route ${route} failed for ${meta.requestId}: ${failure.deadLetter}`);
    return [this.kafka.deadLetterRecord(record, failure.deadLetter, 'handler'), reply];
  }

  private problemReply(meta: RequestMeta, kind: Parameters<typeof problem>[0], detail: string): OutgoingRecord {
    const body = problem(kind, detail, meta.requestId);
    return this.kafka.replyRecord(meta, body.status, body);
  }
}
