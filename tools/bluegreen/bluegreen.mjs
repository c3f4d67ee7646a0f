// Switches the flowgate router from one colour to the other, safely:
//   node tools/bluegreen/bluegreen.mjs --to green [--namespace flowgate] [--dry-run]
// 1. the target colour's Deployments are rolled out and ready;  2. the router release is
// upgraded to activeColour=<target>;  3. the old colour's gateways are polled (their /metrics,
// through the API server) until no request is in flight;  4. the old release is scaled to zero.
// The decisions are in switch.mjs (unit-tested); this file only runs helm and kubectl.
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { activeColour, commands, COMPONENTS, deploymentReadiness, drainDecision, gatewayPods, inflight, parseArgs, shellLine } from './switch.mjs';

const log = (message) => process.stderr.write(`[bluegreen] ${message}\n`);

/** Runs a command; returns its stdout or throws with its stderr. */
export function runCommand([command, args]) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`${shellLine([command, args])}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${shellLine([command, args])} exited ${result.status}: ${result.stderr.trim()}`);
  return result.stdout;
}

/**
 * The switch. `run` executes a command and returns its stdout; `sleep` and `now` are the clock:
 * tests pass fakes for all three.
 */
export async function switchColour(o, { run = runCommand, sleep = (ms) => new Promise((r) => setTimeout(r, ms)), now = Date.now, print = log } = {}) {
  const cmd = commands(o);
  if (o.dryRun) {
    const lines = [
      cmd.routerValues(),
      ...COMPONENTS.flatMap((c) => [cmd.rolloutStatus(c), cmd.getDeployment(c)]),
      cmd.flip(),
      cmd.oldGateways(),
      cmd.podMetrics('<pod>', '<port>'),
      ...(o.keepOld ? [] : [cmd.scaleDown()]),
    ];
    for (const line of lines) process.stdout.write(`${shellLine(line)}\n`);
    return 'dry-run';
  }

  const current = activeColour(run(cmd.routerValues()));
  if (current === o.to) {
    print(`the router already sends traffic to ${o.to}; nothing to do`);
    return 'unchanged';
  }
  for (const component of COMPONENTS) {
    run(cmd.rolloutStatus(component));
    const { ready, reason } = deploymentReadiness(run(cmd.getDeployment(component)));
    if (!ready) throw new Error(`${o.to} is not ready, not switching: ${reason}`);
    print(reason);
  }

  print(`switching the router from ${o.from} to ${o.to}`);
  run(cmd.flip());

  const started = now();
  const samples = [];
  for (;;) {
    const pods = gatewayPods(run(cmd.oldGateways()));
    let total = 0;
    for (const pod of pods) {
      try {
        total += inflight(run(cmd.podMetrics(pod.name, pod.port)));
      } catch (error) {
        // A gateway that stopped answering cannot be counted as drained.
        print(`${pod.name}: ${error.message}`);
        total = Number.NaN;
      }
    }
    samples.push({ elapsedMs: now() - started, inflight: total });
    print(`${o.from}: ${pods.length} gateways, ${total} requests in flight`);
    const decision = drainDecision(samples, o);
    if (decision === 'drained') break;
    if (decision === 'timeout') {
      throw new Error(`${o.from} still has requests in flight after ${o.drainTimeoutSeconds}s; traffic goes to ${o.to}, ${o.from} is left running`);
    }
    await sleep(o.pollSeconds * 1000);
  }

  if (o.keepOld) {
    print(`${o.from} drained; left running (--keep-old)`);
    return 'switched';
  }
  print(`${o.from} drained; scaling it to zero`);
  run(cmd.scaleDown());
  return 'switched';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const outcome = await switchColour(parseArgs(process.argv.slice(2)));
    if (outcome !== 'dry-run') log(`done: ${outcome}`);
  } catch (error) {
    log(error.message);
    process.exit(1);
  }
}
