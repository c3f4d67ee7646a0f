import { int } from './env-reader';

/** Variables of the request registry (async and idempotent requests), read by gateway and sweeper. */
export const REGISTRY_ENV = {
  FLOWGATE_RESULT_TTL_S: int({
    default: 86_400, min: 1, max: 30 * 86_400,
    description: 'How long the outcome of an async or idempotent request stays retrievable.',
  }),
} as const;
