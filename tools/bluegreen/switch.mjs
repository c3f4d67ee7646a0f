// The decisions of a blue/green switch, free of I/O: what to run, how to read the answers, and
// when the old colour has drained. bluegreen.mjs runs them against helm and kubectl.

export const COLOURS = ['blue', 'green'];
export const COMPONENTS = ['gateway', 'processor', 'sweeper'];
/** libs/metrics/src/gateway.metrics.ts: requests a gateway holds, waiting for their reply. */
export const INFLIGHT_METRIC = 'flowgate_gateway_inflight_requests';

export const otherColour = (colour) => (colour === 'blue' ? 'green' : 'blue');

const DEFAULTS = {
  namespace: 'flowgate',
  routerRelease: 'flowgate-router',
  routerChart: 'helm/flowgate-router',
  chart: 'helm/flowgate',
  releasePrefix: 'flowgate',
  drainTimeoutSeconds: 120,
  pollSeconds: 2,
  stableSamples: 3,
  settleSeconds: 10,
  dryRun: false,
  keepOld: false,
};

const USAGE = `usage: node tools/bluegreen/bluegreen.mjs --to <blue|green> [--namespace flowgate] [--router-release flowgate-router]
  [--release-prefix flowgate] [--drain-timeout 120] [--poll 2] [--stable 3] [--settle 10] [--keep-old] [--dry-run]`;

/** Command-line options, checked; throws with the usage on anything wrong. */
export function parseArgs(argv) {
  const options = { ...DEFAULTS };
  const numbers = { '--drain-timeout': 'drainTimeoutSeconds', '--poll': 'pollSeconds', '--stable': 'stableSamples', '--settle': 'settleSeconds' };
  const strings = { '--to': 'to', '--namespace': 'namespace', '--router-release': 'routerRelease', '--release-prefix': 'releasePrefix', '--router-chart': 'routerChart', '--chart': 'chart' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--dry-run') options.dryRun = true;
    else if (flag === '--keep-old') options.keepOld = true;
    else if (flag === '--help' || flag === '-h') throw new Error(USAGE);
    else if (flag in strings || flag in numbers) {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
      if (flag in strings) options[strings[flag]] = value;
      else if (!(Number(value) > 0)) throw new Error(`${flag} must be a positive number, got ${value}\n${USAGE}`);
      else options[numbers[flag]] = Number(value);
    } else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  if (!COLOURS.includes(options.to)) throw new Error(`--to must be blue or green\n${USAGE}`);
  options.from = otherColour(options.to);
  return options;
}

const release = (o, colour) => `${o.releasePrefix}-${colour}`;
const deployment = (o, colour, component) => `${release(o, colour)}-${component}`;

/** Every command of a switch, built in one place: the real run and --dry-run print the same. */
export function commands(o) {
  const ns = ['--namespace', o.namespace];
  return {
    rolloutStatus: (component) => ['kubectl', [...ns, 'rollout', 'status', `deployment/${deployment(o, o.to, component)}`, '--timeout=60s']],
    getDeployment: (component) => ['kubectl', [...ns, 'get', 'deployment', deployment(o, o.to, component), '-o', 'json']],
    routerValues: () => ['helm', [...ns, 'get', 'values', o.routerRelease, '--all', '-o', 'json']],
    flip: () => ['helm', [...ns, 'upgrade', o.routerRelease, o.routerChart, '--reuse-values', '--set', `activeColour=${o.to}`, '--wait']],
    oldGateways: () => ['kubectl', [...ns, 'get', 'pods', '-l', `app.kubernetes.io/instance=${release(o, o.from)},app.kubernetes.io/component=gateway`, '-o', 'json']],
    podMetrics: (pod, port) => ['kubectl', ['get', '--raw', `/api/v1/namespaces/${o.namespace}/pods/${pod}:${port}/proxy/metrics`]],
    scaleDown: () => [
      'helm',
      [
        ...ns, 'upgrade', release(o, o.from), o.chart, '--reuse-values',
        '--set', 'gateway.autoscaling.enabled=false', '--set', 'processor.autoscaling.enabled=false',
        ...COMPONENTS.flatMap((c) => ['--set', `${c}.replicas=0`]),
        '--wait',
      ],
    ],
  };
}

/** Whether a Deployment (kubectl get -o json) has all its replicas on the current spec and ready. */
export function deploymentReadiness(json) {
  const d = JSON.parse(json);
  const name = d.metadata?.name;
  const wanted = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  if (wanted < 1) return { ready: false, reason: `${name} has 0 replicas: scale it up first` };
  if ((s.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) return { ready: false, reason: `${name}: the controller has not seen the latest spec yet` };
  if ((s.updatedReplicas ?? 0) < wanted) return { ready: false, reason: `${name}: ${s.updatedReplicas ?? 0}/${wanted} replicas on the latest spec` };
  if ((s.readyReplicas ?? 0) < wanted) return { ready: false, reason: `${name}: ${s.readyReplicas ?? 0}/${wanted} replicas ready` };
  return { ready: true, reason: `${name}: ${wanted}/${wanted} ready` };
}

/** The router's active colour, from `helm get values --all -o json`. */
export function activeColour(json) {
  const colour = JSON.parse(json).activeColour;
  if (!COLOURS.includes(colour)) throw new Error(`the router release has activeColour ${JSON.stringify(colour)}`);
  return colour;
}

/** Running gateway pods of a release and their internal port (`admin`, where /metrics is). */
export function gatewayPods(json) {
  return JSON.parse(json)
    .items.filter((pod) => pod.status?.phase === 'Running' && !pod.metadata.deletionTimestamp)
    .map((pod) => {
      const port = pod.spec.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === 'admin')?.containerPort;
      if (!port) throw new Error(`pod ${pod.metadata.name} has no container port named admin`);
      return { name: pod.metadata.name, port };
    });
}

/** The in-flight requests in one gateway's /metrics text; throws when the metric is missing. */
export function inflight(metricsText) {
  let total;
  for (const line of metricsText.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match?.[1] === INFLIGHT_METRIC) total = (total ?? 0) + Number(match[3]);
  }
  if (total === undefined || Number.isNaN(total)) throw new Error(`no ${INFLIGHT_METRIC} in the gateway's metrics`);
  return total;
}

/**
 * Whether the old colour has drained, from the samples so far ({ elapsedMs, inflight: total over
 * its gateways }): zero in the last `stableSamples` samples, all taken after `settleSeconds`
 * (the time for every proxy to stop sending it new requests). 'timeout' after
 * `drainTimeoutSeconds`; otherwise 'wait'.
 */
export function drainDecision(samples, o) {
  const settled = samples.filter((s) => s.elapsedMs >= o.settleSeconds * 1000);
  const last = settled.slice(-o.stableSamples);
  if (last.length === o.stableSamples && last.every((s) => s.inflight === 0)) return 'drained';
  const elapsed = samples.at(-1)?.elapsedMs ?? 0;
  return elapsed >= o.drainTimeoutSeconds * 1000 ? 'timeout' : 'wait';
}

/** A command as a shell line, for logs and --dry-run. */
export const shellLine = ([command, args]) => [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
