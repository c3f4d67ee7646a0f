// CPU per request, the bench's primary efficiency figure: far steadier than a p99 on a small,
// shared machine, because CPU a process spends does not depend on when it got the CPU.
// A step samples every process's CPU seconds (/proc/<pid>/stat) before and after, and charges
// the differences to the requests answered, by role:
//   app        the system's own processes (gateway(s), processor, Redis; the NestJS pair; ...)
//   kafka      the broker, less its idle rate (every system's consumers long-poll it all the time)
//   generator  the process offering the load (ours, or vegeta)
// whole system = app + kafka; whole machine = whole system + generator.
// Pure functions (no I/O): bench/lib/cpu-account.spec.mjs.

export const ROLES = ['app', 'kafka', 'generator'];

/**
 * The CPU figures of one /proc/<pid>/stat text, in seconds: `cpuS` = utime + stime (all its
 * threads), `childrenCpuS` = cutime + cstime (the children it has waited for, e.g. a shell's
 * command that has exited).
 */
export function parseStat(text, ticksPerSecond = 100) {
  // The command name, in parentheses, may contain spaces and ')': the fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
  const ticks = (i) => Number(fields[i]);
  if (fields.length < 15 || ![11, 12, 13, 14].every((i) => Number.isFinite(ticks(i)))) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  return { cpuS: (ticks(11) + ticks(12)) / ticksPerSecond, childrenCpuS: (ticks(13) + ticks(14)) / ticksPerSecond };
}

/**
 * Charges a step's CPU to its requests.
 *   before, after  { process name: CPU seconds } sampled around the step (undefined: not running)
 *   roles          { process name: 'app' | 'kafka' | 'generator' }
 *   requests       the requests answered (200s) in the step
 *   wallS          the step's length, for `idleRates`
 *   idleRates      { process name: cores } its idle use, taken out (never below 0)
 * Returns { byProcess: { name: { role, cpuS, msPerRequest } }, app, kafka, generator (ms per
 * request, summed by role), system (app + kafka), machine (system + generator), missing: names
 * not sampled at both ends (counted as 0) }.
 */
export function accountCpu({ before, after, roles, requests, wallS = 0, idleRates = {} }) {
  const perRequest = (seconds) => (requests > 0 ? (seconds * 1000) / requests : undefined);
  const byProcess = {};
  const sums = Object.fromEntries(ROLES.map((role) => [role, 0]));
  const missing = [];
  for (const [name, role] of Object.entries(roles)) {
    if (!ROLES.includes(role)) throw new Error(`unknown role ${role} of ${name}`);
    const known = Number.isFinite(before[name]) && Number.isFinite(after[name]);
    if (!known) missing.push(name);
    const used = known ? Math.max(0, after[name] - before[name] - (idleRates[name] ?? 0) * wallS) : 0;
    sums[role] += used;
    byProcess[name] = { role, cpuS: used, msPerRequest: perRequest(used) };
  }
  const system = sums.app + sums.kafka;
  return {
    byProcess,
    app: perRequest(sums.app),
    kafka: perRequest(sums.kafka),
    generator: perRequest(sums.generator),
    system: perRequest(system),
    machine: perRequest(system + sums.generator),
    missing,
  };
}
