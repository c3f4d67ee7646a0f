import { DynamicModule, Module } from '@nestjs/common';
import type { ProcessorConfig } from '@flowgate/config';
import { topicNames } from '@flowgate/contracts';
import { HealthModule } from '@flowgate/http';
import { ProcessorMetrics, Registry } from '@flowgate/metrics';
import { DemoRoutesController } from './jobs/demo-routes.controller';
import { counterJob } from './jobs/counter.job';
import { DEMO_JOBS } from './jobs/demo.jobs';
import { ipCountSlidingJob } from './jobs/ip-count-sliding.job';
import { ipCountJob } from './jobs/ip-count.job';
import { JOBS } from './jobs/jobs.token';
import { PROCESSOR_CONFIG, PROCESSOR_METRICS } from './processor.tokens';
import { ProcessorKafka } from './transport/processor-kafka.service';
import { RequestRecords } from './transport/request-records';
import { StreamServer } from './transport/stream.server';
import { TopologyController } from './transport/topology.controller';

function processorJobs(prefix: string) {
  const topics = topicNames(prefix);
  return [...DEMO_JOBS, counterJob, ipCountJob(topics), ipCountSlidingJob(topics)];
}

@Module({})
export class ProcessorModule {
  static forRoot(config: ProcessorConfig, registry: Registry): DynamicModule {
    return {
      module: ProcessorModule,
      imports: [HealthModule.forRoot(registry)],
      controllers: [DemoRoutesController, TopologyController],
      providers: [
        { provide: PROCESSOR_CONFIG, useValue: config },
        { provide: JOBS, useValue: processorJobs(config.FLOWGATE_TOPIC_PREFIX) },
        { provide: PROCESSOR_METRICS, useValue: new ProcessorMetrics(registry) },
        ProcessorKafka,
        RequestRecords,
        StreamServer,
      ],
    };
  }
}
