import { BaseRpcContext } from '@nestjs/microservices';
import type { RequestMeta } from '@flowgate/contracts';

type Args = [meta: RequestMeta, requestTimestamp: number, partition: number];

/** What a route handler knows about the request besides its body (`@Ctx()`). */
export class RequestContext extends BaseRpcContext<Args> {
  get meta(): RequestMeta {
    return this.args[0];
  }

  /** When the gateway accepted the request (the record's timestamp), epoch ms. */
  get requestTimestamp(): number {
    return this.args[1];
  }

  get partition(): number {
    return this.args[2];
  }
}
