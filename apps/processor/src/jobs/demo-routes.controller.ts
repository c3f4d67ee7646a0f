import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { RouteName } from '@flowgate/contracts';
import { RethrowFilter } from '../transport/rethrow.filter';

/**
 * Routes can also be plain Nest handlers: the stream server runs each `@MessagePattern(route)`
 * as a one-operator job whose result is the reply. `fail` shows what a broken handler produces.
 */
@Controller()
@UseFilters(RethrowFilter)
export class DemoRoutesController {
  @MessagePattern('fail' satisfies RouteName)
  fail(): never {
    throw new Error('the fail route always fails');
  }
}
