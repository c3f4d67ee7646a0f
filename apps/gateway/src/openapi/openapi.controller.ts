import { Controller, Get, Inject } from '@nestjs/common';
import type { GatewayConfig } from '@flowgate/config';
import { RouteCatalog } from '../catalog/route-catalog.service';
import { GATEWAY_CONFIG } from '../gateway.tokens';
import { openApiDocument } from './openapi-document';

/** `GET /openapi.json`: the API as the route catalog has it right now. */
@Controller()
export class OpenApiController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly catalog: RouteCatalog,
  ) {}

  @Get('openapi.json')
  document() {
    const eventRoute = this.catalog.get(this.config.FLOWGATE_EVENT_ROUTE)?.route;
    return openApiDocument({
      routes: this.catalog.all().map((served) => served.route),
      ...(eventRoute ? { eventRoute } : {}),
      defaultTimeoutMs: this.config.FLOWGATE_DEFAULT_TIMEOUT_MS,
      maxTimeoutMs: this.config.FLOWGATE_MAX_TIMEOUT_MS,
      maxBodyBytes: this.config.FLOWGATE_MAX_BODY_BYTES,
      ...(this.config.FLOWGATE_AUTH === 'none' ? {} : { auth: { mode: this.config.FLOWGATE_AUTH, header: this.config.FLOWGATE_API_KEY_HEADER } }),
    });
  }
}
