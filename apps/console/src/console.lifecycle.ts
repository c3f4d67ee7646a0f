import { BeforeApplicationShutdown, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { KafkaConnection } from '@flowgate/kafka';
import { StatusBoard } from './board/status-board.service';
import { DeadLetters } from './dlq/dead-letters.service';
import { PageStreams } from './http/page-streams';

/** Starts the console's readers; at shutdown ends the page streams (or the server would wait for them), then the readers. */
@Injectable()
export class ConsoleLifecycle implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    private readonly board: StatusBoard,
    private readonly deadLetters: DeadLetters,
    private readonly streams: PageStreams,
    private readonly kafka: KafkaConnection,
  ) {}

  async start(): Promise<void> {
    await Promise.all([this.board.start(), this.deadLetters.start()]);
  }

  beforeApplicationShutdown(): void {
    this.streams.endAll();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.board.stop(), this.deadLetters.stop()]);
    await this.kafka.close();
  }
}
