import { Controller, Get } from '@nestjs/common';
import { describeJob } from '@flowgate/stream';
import { ScriptRegistry } from '../scripts/script-registry';
import { StreamServer } from './stream.server';

/** `GET /topology`: every job this processor runs, as nodes and edges for a UI to draw, and the script versions it serves. */
@Controller()
export class TopologyController {
  constructor(
    private readonly server: StreamServer,
    private readonly scripts: ScriptRegistry,
  ) {}

  @Get('topology')
  topology() {
    return { jobs: this.server.jobs.map(describeJob), scripts: this.scripts.describe() };
  }
}
