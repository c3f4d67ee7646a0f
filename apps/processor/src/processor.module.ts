import { DynamicModule, Module } from '@nestjs/common';
import type { ProcessorConfig } from '@flowgate/config';
import { HealthModule } from '@flowgate/http';
import { ProcessorMetrics, Registry } from '@flowgate/metrics';
import type { JobPlacement } from '@flowgate/stream';
import { JOB_PLACEMENT, PROCESSOR_CONFIG, PROCESSOR_METRICS } from './processor.tokens';
import { ProcessorKafka } from './transport/processor-kafka.service';
import { RequestRecords } from './transport/request-records';
import { StreamServer } from './transport/stream.server';
import { TopologyController } from './transport/topology.controller';

@Module({})
export class ProcessorModule {
  /** `placement`: the jobs of the modules FLOWGATE_JOBS names, placed (see `loadJobs`). */
  static forRoot(config: ProcessorConfig, registry: Registry, placement: JobPlacement): DynamicModule {
    return {
      module: ProcessorModule,
      imports: [HealthModule.forRoot(registry)],
      controllers: [TopologyController],
      providers: [
        { provide: PROCESSOR_CONFIG, useValue: config },
        { provide: JOB_PLACEMENT, useValue: placement },
        { provide: PROCESSOR_METRICS, useValue: new ProcessorMetrics(registry) },
        ProcessorKafka,
        RequestRecords,
        StreamServer,
      ],
    };
  }
}
