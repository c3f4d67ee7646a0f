import { Problem, problem, PROBLEMS } from '@flowgate/contracts';
import { ScriptCallError, scriptLimits } from '@flowgate/scripts';
import type { LoadedVersion } from './loaded-version';

/** How a failed route script call is answered: the problem reply, and the dead letter's reason when it is a failure (not a refusal). */
export interface ScriptFailureReply {
  readonly problem: Problem;
  readonly deadLetter?: string;
}

/**
 * A RouteError below 500 is the script refusing the request (its code and status, as a job's
 * RouteError: no dead letter); a RouteError of 500 and up, a throw, or a call over a budget is a
 * failure: 500 (or the error's status) and a dead letter naming the version and the reason. The
 * caller learns which limit was hit, not the script's internals.
 */
export function scriptFailureReply(script: LoadedVersion, error: ScriptCallError, requestId: string): ScriptFailureReply {
  const { label } = script;
  const limits = scriptLimits(script.manifest);
  switch (error.reason) {
    case 'budget':
      return {
        problem: problem('handlerFailed', `script ${label} ran over its CPU budget of ${limits.cpuMs} ms`, requestId),
        deadLetter: `script ${label}: CPU budget of ${limits.cpuMs} ms exceeded: ${error.message}`,
      };
    case 'memory':
      return {
        problem: problem('handlerFailed', `script ${label} ran over its memory cap of ${limits.memoryMb} MiB`, requestId),
        deadLetter: `script ${label}: memory cap of ${limits.memoryMb} MiB exceeded: ${error.message}`,
      };
    case 'error': {
      if (error.code === undefined) {
        return { problem: problem('handlerFailed', `script ${label} failed`, requestId), deadLetter: `script ${label} threw: ${error.message}` };
      }
      // A status that is no error status is the script's mistake: a failure.
      const status = error.status === undefined ? 400 : Number.isInteger(error.status) && error.status >= 400 && error.status <= 599 ? error.status : 500;
      const refusal = routeErrorProblem(error.code, error.message, status, requestId);
      return status < 500 ? { problem: refusal } : { problem: refusal, deadLetter: `script ${label} threw RouteError ${error.code} (${status}): ${error.message}` };
    }
  }
}

/** `new RouteError(code, message, status)` as a problem: flowgate's own type when the code is one of its problems, else the script's code. */
function routeErrorProblem(code: string, message: string, status: number, requestId: string): Problem {
  if (Object.hasOwn(PROBLEMS, code)) return { ...problem(code as keyof typeof PROBLEMS, message, requestId), status };
  return { type: `urn:flowgate:script-error:${code}`, title: code, status, detail: message, requestId };
}
