import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { ConsoleConfig } from '@flowgate/config';
import { topicNames } from '@flowgate/contracts';
import { KafkaConnection } from '@flowgate/kafka';
import { StatusBoard } from './board/status-board.service';
import { CONSOLE_CONFIG } from './console.tokens';
import { DeadLetters } from './dlq/dead-letters.service';
import { PageStreams } from './http/page-streams';

/** Starts the console's readers; at shutdown ends the page streams (or the server would wait for them), then the readers. */
@Injectable()
export class ConsoleLifecycle implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
    private readonly board: StatusBoard,
    private readonly deadLetters: DeadLetters,
    private readonly streams: PageStreams,
    private readonly kafka: KafkaConnection,
  ) {}

  async start(): Promise<void> {
    // Asked first and alone, so wrong credentials, an untrusted certificate or a missing ACL stop
    // the console with one clear line (an AccessError) before the readers start.
    await this.kafka.partitionCount(topicNames(this.config.FLOWGATE_TOPIC_PREFIX).status);
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
