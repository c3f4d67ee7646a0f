import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { MAX_DELAY_MS, RouteName } from '@flowgate/contracts';
import { RequestContext } from '../transport/request-context';
import { RethrowFilter } from '../transport/rethrow.filter';
import { RouteError } from '../transport/route-error';

type Body = Record<string, unknown>;

/** The processor's default job: the seed's echo, a delay for load shaping, and a failing route. */
@Controller()
@UseFilters(RethrowFilter)
export class DemoRoutesController {
  /** The seed's Flink job: the event plus `result`, `request_timestamp`, `response_timestamp`. */
  @MessagePattern('echo' satisfies RouteName)
  echo(@Payload() body: Body, @Ctx() ctx: RequestContext): Body {
    return echoed(body, ctx);
  }

  /** Waits `ms` on a timer (other requests keep flowing), then answers like echo. */
  @MessagePattern('delay' satisfies RouteName)
  async delay(@Payload() body: Body, @Ctx() ctx: RequestContext): Promise<Body> {
    const ms = body.ms;
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_DELAY_MS) {
      throw new RouteError('badBody', `"ms" must be a whole number from 0 to ${MAX_DELAY_MS}`);
    }
    await new Promise((resolve) => setTimeout(resolve, ms));
    return echoed(body, ctx);
  }

  @MessagePattern('fail' satisfies RouteName)
  fail(): never {
    throw new Error('the fail route always fails');
  }
}

function echoed(body: Body, ctx: RequestContext): Body {
  return { ...body, result: 'ok', request_timestamp: ctx.requestTimestamp, response_timestamp: Date.now() };
}
