// A job package of the kind a user writes: FLOWGATE_JOBS=dist/examples/order-pricing.js.
export { jobs } from './order-pricing.job';
