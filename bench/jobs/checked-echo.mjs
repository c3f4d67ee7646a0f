// The bench's own job module, loaded next to the demo: the echo route again, as `echo-checked`,
// with a JSON Schema the gateway checks every body against (bench/validation-cost.mjs).
export const CHECKED_BODY_SCHEMA = {
  type: 'object',
  required: ['user', 'item', 'note'],
  additionalProperties: false,
  properties: {
    user: { type: 'string', minLength: 1, maxLength: 64 },
    item: { type: 'integer', minimum: 0 },
    note: { type: 'string', maxLength: 256 },
  },
};

export default ({ job, route }) => [
  job('echo-checked')
    .fromRoute(route({ name: 'echo-checked', summary: 'echo, with a body schema (bench)', bodySchema: CHECKED_BODY_SCHEMA }))
    .map('echo', (body, ctx) => ({ ...body, result: 'ok', request_timestamp: ctx.timestamp, response_timestamp: Date.now() }))
    .toReply(),
];
