import { BaseRpcContext } from '@nestjs/microservices';
import type { RecordContext } from '@flowgate/stream';

/** What a `@MessagePattern` handler knows about the request besides its body (`@Ctx()`). */
export class RequestContext extends BaseRpcContext<[RecordContext]> {
  get record(): RecordContext {
    return this.args[0];
  }
}
