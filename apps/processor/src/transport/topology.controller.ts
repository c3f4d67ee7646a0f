import { Controller, Get } from '@nestjs/common';
import { describeJob } from '@flowgate/stream';
import { StreamServer } from './stream.server';

/** `GET /topology`: every job this processor runs, as nodes and edges for a UI to draw. */
@Controller()
export class TopologyController {
  constructor(private readonly server: StreamServer) {}

  @Get('topology')
  topology() {
    return { jobs: this.server.jobs.map(describeJob) };
  }
}
