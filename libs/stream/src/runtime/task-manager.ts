import type { OutgoingRecord } from '@flowgate/kafka';
import type { KeyedJobObserver } from './keyed-job-runner';
import type { PartitionTask } from './partition-task';

/** What the manager uses of a partition's task (a PartitionTask; a fake in unit tests). */
export type ManagedTask = Pick<PartitionTask, 'state' | 'ready' | 'nextOffset' | 'commit' | 'close'>;

export interface TaskManagerOptions {
  /** Makes a partition's task; making it starts taking the partition (barrier, then restore). */
  readonly createTask: (partition: number) => ManagedTask;
  readonly observer: Pick<KeyedJobObserver, 'onAssigned' | 'onRestored' | 'onStartFailed' | 'onCommitFailed'>;
}

/**
 * The partitions of one keyed job this processor owns, each with its task (Kafka Streams'
 * `TaskManager`). An assignment starts restoring every newly assigned partition at once, keeps
 * the tasks (and state) of partitions still owned, and closes the others. A task whose start
 * (barrier, restore) or commit failed is dropped: the partition's next batch gets a new task,
 * restored from the changelog again (exactly-once: with a new producer that fences the old one).
 *
 * @example
 * const tasks = new TaskManager({ createTask: (p) => new PartitionTask({ ... }), observer });
 * await tasks.assign([0, 3]);                      // from the consumer's GROUP_JOIN
 * const task = await tasks.ready(0, heartbeat);    // in eachBatch: the restored task
 * await tasks.commit({ partition: 0, task, outputs, nextOffset: '42' });
 */
export class TaskManager {
  private readonly tasks = new Map<number, ManagedTask>();

  constructor(private readonly options: TaskManagerOptions) {}

  /** The tasks of the partitions owned now, by partition. */
  owned(): ReadonlyMap<number, ManagedTask> {
    return this.tasks;
  }

  /** Starts restoring newly assigned partitions at once and lets go of the others. */
  async assign(partitions: number[]): Promise<void> {
    const keep = new Set(partitions);
    await Promise.all([...this.tasks.keys()].filter((p) => !keep.has(p)).map((p) => this.drop(p)));
    for (const partition of partitions) this.task(partition);
    this.options.observer.onAssigned(partitions);
  }

  /**
   * The partition's task once its state is restored (a batch read before the assignment event
   * gets its task here). A failed start drops the task and throws.
   */
  async ready(partition: number, heartbeat: () => Promise<void>): Promise<ManagedTask> {
    const task = this.task(partition);
    try {
      await whileHeartbeating(task.ready, heartbeat);
    } catch (error) {
      // E.g. the barrier could not be written yet (a changelog partition still without a
      // leader): the next attempt needs a task of its own, not this failed one again.
      this.options.observer.onStartFailed(partition, error);
      await this.drop(partition);
      throw error;
    }
    return task;
  }

  /** Commits a batch through its task; a failed commit drops the task and throws. */
  async commit(batch: { partition: number; task: ManagedTask; outputs: OutgoingRecord[]; nextOffset: string }): Promise<void> {
    const { partition, task, outputs, nextOffset } = batch;
    try {
      await task.commit(outputs, nextOffset);
    } catch (error) {
      this.options.observer.onCommitFailed(partition, error);
      // Start this partition over from its last commit, with fresh state and (for
      // exactly-once) a fresh producer that fences whatever went wrong.
      await this.drop(partition);
      throw error;
    }
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.tasks.keys()].map((partition) => this.drop(partition)));
  }

  private task(partition: number): ManagedTask {
    let task = this.tasks.get(partition);
    if (!task) {
      const started = Date.now();
      task = this.options.createTask(partition);
      task.ready.then(
        (changes) => this.options.observer.onRestored(partition, changes, (Date.now() - started) / 1e3),
        () => undefined, // reported where the batch awaits it
      );
      this.tasks.set(partition, task);
    }
    return task;
  }

  private async drop(partition: number): Promise<void> {
    const task = this.tasks.get(partition);
    this.tasks.delete(partition);
    await task?.close().catch(() => undefined); // a producer that is already broken has nothing to close
  }
}

/** kafkajs heartbeats only between batches; keep the membership alive during a long restore. */
async function whileHeartbeating<T>(work: Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
  const timer = setInterval(() => void heartbeat().catch(() => undefined), 1_000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
