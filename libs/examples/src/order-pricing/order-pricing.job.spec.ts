import { jobPartition } from '@flowgate/stream/testing';
import { LOYALTY_THRESHOLD_CENTS, orderPricingJob } from './order-pricing.job';

const order = (customer: string, unitPriceCents: number, qty = 1) => ({ customer, items: [{ sku: 'sku-1', qty, unitPriceCents }] });

describe('order-pricing job', () => {
  it('prices an order from its items', async () => {
    const p = jobPartition(orderPricingJob);
    expect(await p.send(order('ada', 1_250, 4))).toEqual([{ customer: 'ada', subtotalCents: 5_000, discountCents: 0, totalCents: 5_000, spentCents: 5_000 }]);
  });

  it('gives the loyalty discount once the customer has spent the threshold, per customer', async () => {
    const p = jobPartition(orderPricingJob);
    await p.send(order('ada', LOYALTY_THRESHOLD_CENTS));
    expect(await p.send(order('ada', 10_000))).toEqual([
      { customer: 'ada', subtotalCents: 10_000, discountCents: 500, totalCents: 9_500, spentCents: LOYALTY_THRESHOLD_CENTS + 9_500 },
    ]);
    expect(await p.send(order('bob', 10_000))).toEqual([{ customer: 'bob', subtotalCents: 10_000, discountCents: 0, totalCents: 10_000, spentCents: 10_000 }]);
    expect(p.state('spent')).toEqual(new Map([['ada', LOYALTY_THRESHOLD_CENTS + 9_500], ['bob', 10_000]]));
  });
});
