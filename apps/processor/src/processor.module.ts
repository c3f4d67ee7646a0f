import { DynamicModule, Module } from '@nestjs/common';
import { ProcessorConfig, redisSentinel } from '@flowgate/config';
import { topicNames } from '@flowgate/contracts';
import { HealthModule } from '@flowgate/http';
import { KafkaModule } from '@flowgate/kafka';
import { ProcessorMetrics, Registry } from '@flowgate/metrics';
import { RedisModule } from '@flowgate/redis';
import type { JobPlacement } from '@flowgate/stream';
import { JOB_PLACEMENT, PROCESSOR_CONFIG, PROCESSOR_METRICS } from './processor.tokens';
import { ScriptRegistry } from './scripts/script-registry';
import { ProcessorStatusService } from './status/processor-status.service';
import { ProcessorKafka } from './transport/processor-kafka.service';
import { RequestRecords } from './transport/request-records';
import { StreamServer } from './transport/stream.server';
import { TopologyController } from './transport/topology.controller';

@Module({})
export class ProcessorModule {
  /** `placement`: the jobs of the modules FLOWGATE_JOBS names, placed (see `loadJobs`). */
  static forRoot(config: ProcessorConfig, registry: Registry, placement: JobPlacement): DynamicModule {
    const kafka = ProcessorModule.forCommands(config, registry);
    return {
      ...kafka,
      imports: [
        HealthModule.forRoot(registry),
        ...(kafka.imports ?? []),
        // flowgate.kv of scripts.
        RedisModule.forRoot({ url: config.REDIS_URL, sentinel: redisSentinel(config), name: `flowgate-processor-${config.FLOWGATE_INSTANCE_ID}` }),
      ],
      controllers: [TopologyController],
      providers: [...(kafka.providers ?? []), { provide: JOB_PLACEMENT, useValue: placement }, RequestRecords, ScriptRegistry, StreamServer, ProcessorStatusService],
    };
  }

  /** Only the processor's Kafka (`ProcessorKafka`), for the one-shot commands: no jobs run, no HTTP. */
  static forCommands(config: ProcessorConfig, registry: Registry): DynamicModule {
    return {
      module: ProcessorModule,
      imports: [KafkaModule.forRoot({ app: 'processor', config, probeTopic: topicNames(config.FLOWGATE_TOPIC_PREFIX).requests, registry })],
      providers: [
        { provide: PROCESSOR_CONFIG, useValue: config },
        { provide: PROCESSOR_METRICS, useValue: new ProcessorMetrics(registry) },
        ProcessorKafka,
      ],
    };
  }
}
