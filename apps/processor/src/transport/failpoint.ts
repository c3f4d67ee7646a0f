import { writeSync } from 'node:fs';
import type { ProcessorConfig } from '@flowgate/config';

/**
 * The hook a keyed job calls between writing a batch's outputs and committing its offset, when
 * FLOWGATE_FAILPOINT=after-output-before-commit (tests only): the processor SIGKILLs itself there,
 * as a worker dying at the worst moment would. Undefined otherwise: no hook, no cost.
 */
export function afterOutputBeforeCommit(failpoint: ProcessorConfig['FLOWGATE_FAILPOINT']): (() => void) | undefined {
  if (failpoint !== 'after-output-before-commit') return undefined;
  return () => {
    // Synchronous: nothing after this line runs, so no logger would get to flush.
    writeSync(2, `failpoint after-output-before-commit reached: killing processor ${process.pid}\n`);
    process.kill(process.pid, 'SIGKILL');
  };
}
