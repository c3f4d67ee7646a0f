import { job } from '@flowgate/stream';
import { ROUTES } from './routes';

/** A broken handler: the caller gets a 500 problem without internals, the record a dead letter with the reason. */
export const failJob = job('fail')
  .fromRoute(ROUTES.fail)
  .map('handler', (): never => {
    throw new Error('the fail route always fails');
  })
  .toReply();
