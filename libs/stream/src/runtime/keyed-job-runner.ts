import { ConsumedRecord, Consumer, ConsumerOffsets, ConsumerSupervisor, KafkaConnection, OutgoingRecord, recordBytes, RestartedBy } from '@flowgate/kafka';
import { changelogTopic } from '../state/changelog';
import type { Job, RecordContext, ScriptSteps } from '../dsl/job';
import { PartitionKafka, PartitionTask } from './partition-task';
import { TaskManager } from './task-manager';
import type { ProcessingMode } from './transactional-commit';
import { OperatorObserver, runOperators } from '../operators/run-operators';
import { partitionWatermark } from '../operators/window-operator';

/** A job emitted a record over its `maxOutputBytes`: the run on that input fails like a throwing handler. */
export class OutputTooLargeError extends Error {
  override readonly name = 'OutputTooLargeError';
}

/** Runs the job on one record with its partition's state; what the app makes of the results. */
export type RecordHandler = (
  record: ConsumedRecord,
  run: (value: unknown, ctx: RecordContext) => Promise<unknown[]>,
) => Promise<OutgoingRecord[]>;

export interface KeyedJobObserver {
  onAssigned(partitions: number[]): void;
  onRestored(partition: number, changes: number, seconds: number): void;
  /**
   * A batch was committed; `outputs` is what it wrote besides state (replies, emitted records),
   * `late` how many events its window steps refused as late.
   */
  onBatch(partition: number, batch: { records: number; seconds: number; outputs: readonly OutgoingRecord[]; late: number }): void;
  onCommitFailed(partition: number, error: unknown): void;
  /**
   * Records the partition's state already holds came again and were passed over (a consumer
   * positioned before the last commit; see PartitionTask.nextOffset).
   */
  onSkipped(partition: number, records: number): void;
  /** Taking the partition (barrier, restore) failed; it is tried again with the next batch. */
  onStartFailed(partition: number, error: unknown): void;
  /** The consumer crashed (a failed batch, Kafka out of reach) and is being started again. */
  onCrash(error: Error, restartedBy: RestartedBy): void;
}

/** What a keyed job uses of the app's Kafka connection. */
export type JobKafka = PartitionKafka & Pick<KafkaConnection, 'jobConsumer' | 'consumerOffsets'>;

export interface KeyedJobRunnerOptions {
  /** The job's consumers and producers come from it; at-least-once writes and the restore barriers go through its shared producer. */
  readonly kafka: JobKafka;
  readonly job: Job;
  readonly mode: ProcessingMode;
  readonly prefix: string;
  readonly sourceTopic: string;
  readonly handle: RecordHandler;
  readonly observer: KeyedJobObserver;
  readonly observeOperator?: OperatorObserver;
  /**
   * Largest record the job may emit, headers included (Kafka refuses a record over the topic's
   * max.message.bytes, and a batch holding one could never commit): a larger one fails the run.
   */
  readonly maxOutputBytes: number;
  /** Runs the job's `.script()` steps (see RunOptions.scripts). */
  readonly scripts?: ScriptSteps;
  /** See BatchCommitTarget.beforeOffsetCommit (a test-only fail point). */
  readonly beforeOffsetCommit?: () => void;
}

/**
 * Runs a job with keyed state over its source topic in a consumer group of its own. Each
 * assigned partition gets a PartitionTask (the TaskManager decides when); a partition's records
 * are processed in order, batch by batch, each batch committed (exactly-once: one transaction)
 * before the next is read. A failed commit rolls the batch back and restarts the consumer from
 * the last committed offset. Records below the task's `nextOffset` are in its state already and
 * are passed over: each input record changes the state once, whatever position the consumer had.
 */
export class KeyedJobRunner {
  private readonly supervisor: ConsumerSupervisor;
  private readonly tasks: TaskManager;
  private readonly offsets: ConsumerOffsets;
  readonly groupId: string;

  constructor(private readonly options: KeyedJobRunnerOptions) {
    this.groupId = `${options.prefix}job.${options.job.name}`;
    this.offsets = options.kafka.consumerOffsets();
    this.tasks = new TaskManager({ createTask: (partition) => this.createTask(partition), observer: options.observer });
    this.supervisor = new ConsumerSupervisor({
      create: () => options.kafka.jobConsumer(this.groupId),
      run: (consumer) => this.run(consumer),
      onCrash: (error, restartedBy) => options.observer.onCrash(error, restartedBy),
    });
  }

  get changelogTopic(): string {
    return changelogTopic(this.options.prefix, this.options.job.name);
  }

  /** Entries in the state of the partitions this runner owns. */
  get stateSize(): number {
    let size = 0;
    for (const task of this.tasks.owned().values()) size += task.state.size();
    return size;
  }

  /** The watermark of each owned partition with windows that have seen an event (epoch ms). */
  watermarks(): { partition: number; watermarkMs: number }[] {
    const watermarks: { partition: number; watermarkMs: number }[] = [];
    for (const [partition, task] of this.tasks.owned()) {
      const watermarkMs = partitionWatermark(this.options.job, task.state);
      if (watermarkMs !== undefined) watermarks.push({ partition, watermarkMs });
    }
    return watermarks;
  }

  async start(): Promise<void> {
    await this.supervisor.start();
  }

  private async run(consumer: Consumer): Promise<void> {
    const { sourceTopic } = this.options;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => void this.tasks.assign(payload.memberAssignment[sourceTopic] ?? []));
    await consumer.connect();
    await consumer.subscribe({ topic: sourceTopic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 8,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isStale }) => {
        const task = await this.tasks.ready(batch.partition, heartbeat);
        const outputs: OutgoingRecord[] = [];
        let records = 0;
        let late = 0;
        let skipped = 0;
        let last: string | undefined;
        const started = process.hrtime.bigint();
        for (const message of batch.messages) {
          if (isStale()) break;
          const { offset, key, value, headers, timestamp } = message;
          if (BigInt(offset) < task.nextOffset) {
            skipped++;
            resolveOffset(offset); // fetch on from after it, even when the whole batch was passed over
            continue;
          }
          const record: ConsumedRecord = { topic: batch.topic, partition: batch.partition, offset, key, value, headers, timestamp };
          // A record's state writes and emitted records count only if its job run succeeds; the
          // app may still answer a failed run (a problem reply), and that answer is kept.
          const emitted: OutgoingRecord[] = [];
          let lateInRecord = 0;
          let failed = true;
          const run = async (input: unknown, ctx: RecordContext) => {
            failed = true;
            const results = await runOperators(this.options.job, input, ctx, {
              keyed: { store: task.state, emit: (out) => emitted.push(out), onLate: () => lateInRecord++ },
              observe: this.options.observeOperator,
              scripts: this.options.scripts,
            });
            this.refuseTooLarge(emitted);
            failed = false;
            return results;
          };
          try {
            const answers = await this.options.handle(record, run);
            const produced = failed ? answers : [...emitted, ...answers];
            outputs.push(...produced);
            if (!failed) late += lateInRecord;
          } finally {
            task.state.endRecord(!failed);
          }
          records++;
          last = offset;
        }
        if (skipped > 0) this.options.observer.onSkipped(batch.partition, skipped);
        if (last === undefined) return;
        await this.tasks.commit({ partition: batch.partition, task, outputs, nextOffset: (BigInt(last) + 1n).toString() });
        resolveOffset(last);
        this.options.observer.onBatch(batch.partition, { records, seconds: Number(process.hrtime.bigint() - started) / 1e9, outputs, late });
      },
    });
  }

  /** Fails the record's run when it emitted a record Kafka would refuse: its batch could never commit. */
  private refuseTooLarge(emitted: readonly OutgoingRecord[]): void {
    const { maxOutputBytes } = this.options;
    for (const output of emitted) {
      const bytes = recordBytes(output);
      if (bytes > maxOutputBytes) {
        throw new OutputTooLargeError(`a record of ${bytes} bytes for ${output.topic} is over the ${maxOutputBytes} bytes a job may write (FLOWGATE_MAX_OUTPUT_BYTES)`);
      }
    }
  }

  async stop(): Promise<void> {
    await this.supervisor.stop();
    await this.tasks.closeAll();
    await this.offsets.close();
  }

  private createTask(partition: number): PartitionTask {
    const { kafka, mode, prefix, job, sourceTopic, beforeOffsetCommit } = this.options;
    return new PartitionTask({
      kafka,
      mode,
      job: job.name,
      partition,
      sourceTopic,
      changelogTopic: this.changelogTopic,
      consumerGroupId: this.groupId,
      transactionalId: `${prefix}job.${job.name}.${partition}`,
      restoreGroupId: `${prefix}restore.${job.name}.${partition}`,
      committedOffset: () => this.offsets.committed(this.groupId, sourceTopic, partition),
      commitOffset: (offset) => this.supervisor.consumer.commitOffsets([{ topic: sourceTopic, partition, offset }]),
      ...(beforeOffsetCommit ? { beforeOffsetCommit } : {}),
    });
  }
}
