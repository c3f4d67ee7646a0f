import { defineJobs, job, route } from '@flowgate/stream';

/** Once a customer's orders add up to this (in cents), their next orders get the loyalty discount. */
export const LOYALTY_THRESHOLD_CENTS = 100_000;
export const LOYALTY_DISCOUNT = 0.05;

interface OrderItem {
  readonly sku: string;
  readonly qty: number;
  readonly unitPriceCents: number;
}

interface Order {
  readonly customer: string;
  readonly items: readonly OrderItem[];
}

/**
 * The route, with the schema the gateway checks every body against before it reaches Kafka, and
 * limits of its own. Keyed by customer on a topic of its own: a customer's orders meet, in order,
 * in the partition that keeps their spend.
 */
export const orderQuote = route({
  name: 'order-quote',
  summary: 'Prices an order: subtotal, the loyalty discount (5 % once the customer has spent 1000.00), total.',
  keyField: 'customer',
  topic: 'orders',
  bodySchema: {
    type: 'object',
    required: ['customer', 'items'],
    additionalProperties: false,
    properties: {
      customer: { type: 'string', minLength: 1, maxLength: 64 },
      items: {
        type: 'array',
        minItems: 1,
        maxItems: 100,
        items: {
          type: 'object',
          required: ['sku', 'qty', 'unitPriceCents'],
          additionalProperties: false,
          properties: {
            sku: { type: 'string', minLength: 1, maxLength: 64 },
            qty: { type: 'integer', minimum: 1, maximum: 1_000 },
            unitPriceCents: { type: 'integer', minimum: 0, maximum: 10_000_000 },
          },
        },
      },
    },
  },
  responseSchema: {
    type: 'object',
    required: ['customer', 'subtotalCents', 'discountCents', 'totalCents', 'spentCents'],
    properties: {
      customer: { type: 'string' },
      subtotalCents: { type: 'integer' },
      discountCents: { type: 'integer' },
      totalCents: { type: 'integer' },
      spentCents: { type: 'integer', description: 'What the customer has spent, this order included.' },
    },
  },
  defaultTimeoutMs: 5_000,
  maxTimeoutMs: 30_000,
  maxBodyBytes: 16_384,
});

/** Prices each order from the customer's spend so far (keyed state), and adds the order to it. */
export const orderPricingJob = job('order-pricing')
  .fromRoute(orderQuote)
  .map('as order', (body) => body as unknown as Order)
  .keyBy('by customer', (order) => order.customer)
  .process('price', ['spent'], (order, _ctx, state) => {
    const spentBefore = state.get<number>('spent') ?? 0;
    const subtotalCents = order.items.reduce((sum, item) => sum + item.qty * item.unitPriceCents, 0);
    const discountCents = spentBefore >= LOYALTY_THRESHOLD_CENTS ? Math.round(subtotalCents * LOYALTY_DISCOUNT) : 0;
    const totalCents = subtotalCents - discountCents;
    state.put('spent', spentBefore + totalCents);
    return { customer: order.customer, subtotalCents, discountCents, totalCents, spentCents: spentBefore + totalCents };
  })
  .toReply();

export const jobs = defineJobs([orderPricingJob]);
