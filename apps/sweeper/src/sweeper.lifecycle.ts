import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { DeadlineSweeper } from './sweep/deadline-sweeper.service';
import { ResultRecorder } from './sweep/result-recorder.service';
import { SweeperKafka } from './sweep/sweeper-kafka.service';
import { SweeperStore } from './sweep/sweeper-store.service';

/**
 * Start and stop in one visible order. Start: Redis, Kafka (topics, producer), the result
 * recorder, the sweep loop. Stop (SIGTERM): the sweep loop finishes its sweep, the recorder
 * commits what it recorded and leaves its group; then KafkaModule and RedisModule close Kafka and
 * Redis.
 */
@Injectable()
export class SweeperLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger(SweeperLifecycle.name);

  constructor(
    private readonly store: SweeperStore,
    private readonly kafka: SweeperKafka,
    private readonly recorder: ResultRecorder,
    private readonly sweeper: DeadlineSweeper,
  ) {}

  async start(): Promise<void> {
    await this.store.start();
    await this.kafka.start();
    await this.recorder.start();
    this.sweeper.start();
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.logger.log(`${signal ?? 'shutdown'}: stopping the sweep and the result recorder`);
    await this.sweeper.stop();
    await this.recorder.stop();
  }
}
