// Unit tests of the switch's decisions and of its run against fake helm/kubectl answers:
//   node --test tools/bluegreen/   (apps/deploy-tests/src/bluegreen.spec.ts runs them in npm test)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { switchColour } from './bluegreen.mjs';
import { activeColour, deploymentReadiness, drainDecision, gatewayPods, inflight, parseArgs, shellLine } from './switch.mjs';

const deploymentJson = ({ name = 'flowgate-green-gateway', replicas = 2, ready = 2, updated = 2, generation = 3, observed = 3 } = {}) =>
  JSON.stringify({ metadata: { name, generation }, spec: { replicas }, status: { readyReplicas: ready, updatedReplicas: updated, observedGeneration: observed } });

const podsJson = (...names) =>
  JSON.stringify({
    items: names.map((name) => ({ metadata: { name }, status: { phase: 'Running' }, spec: { containers: [{ name: 'gateway', ports: [{ name: 'http', containerPort: 8080 }, { name: 'admin', containerPort: 9100 }] }] } })),
  });

const metricsText = (n) => `# HELP flowgate_gateway_inflight_requests Requests waiting for their reply.\n# TYPE flowgate_gateway_inflight_requests gauge\nflowgate_gateway_inflight_requests{component="gateway"} ${n}\nflowgate_gateway_inflight_limit{component="gateway"} 1024\n`;

describe('parseArgs', () => {
  it('needs a target colour and names the other one as the source', () => {
    assert.equal(parseArgs(['--to', 'green']).from, 'blue');
    assert.equal(parseArgs(['--to', 'blue', '--namespace', 'shop']).namespace, 'shop');
    assert.throws(() => parseArgs([]), /--to must be blue or green/);
    assert.throws(() => parseArgs(['--to', 'purple']), /--to must be blue or green/);
    assert.throws(() => parseArgs(['--to', 'green', '--poll', '0']), /positive number/);
    assert.throws(() => parseArgs(['--to', 'green', '--bogus']), /unknown option --bogus/);
  });
});

describe('deploymentReadiness', () => {
  it('is ready only with every replica updated and ready', () => {
    assert.equal(deploymentReadiness(deploymentJson()).ready, true);
    assert.match(deploymentReadiness(deploymentJson({ ready: 1 })).reason, /1\/2 replicas ready/);
    assert.match(deploymentReadiness(deploymentJson({ updated: 1 })).reason, /1\/2 replicas on the latest spec/);
    assert.match(deploymentReadiness(deploymentJson({ observed: 2 })).reason, /not seen the latest spec/);
    assert.match(deploymentReadiness(deploymentJson({ replicas: 0, ready: 0, updated: 0 })).reason, /0 replicas/);
  });
});

describe('reading answers', () => {
  it('reads the active colour, running gateway pods and the in-flight gauge', () => {
    assert.equal(activeColour('{"activeColour":"blue","service":{}}'), 'blue');
    assert.throws(() => activeColour('{}'), /activeColour/);
    assert.deepEqual(gatewayPods(podsJson('a', 'b')), [{ name: 'a', port: 9100 }, { name: 'b', port: 9100 }]);
    assert.equal(inflight(metricsText(7)), 7);
    assert.throws(() => inflight('flowgate_gateway_inflight_limit 1024\n'), /no flowgate_gateway_inflight_requests/);
  });

  it('quotes what the shell would split', () => {
    assert.equal(shellLine(['kubectl', ['get', '--raw', '/api/v1/x/<pod>']]), "kubectl get --raw '/api/v1/x/<pod>'");
  });
});

describe('drainDecision', () => {
  const o = { settleSeconds: 10, stableSamples: 3, drainTimeoutSeconds: 60 };
  const at = (...pairs) => pairs.map(([s, inflight]) => ({ elapsedMs: s * 1000, inflight }));

  it('waits for zero in the last samples, all after the settle time', () => {
    assert.equal(drainDecision(at([0, 0], [2, 0], [4, 0]), o), 'wait'); // zero, but proxies may still send
    assert.equal(drainDecision(at([10, 0], [12, 0], [14, 0]), o), 'drained');
    assert.equal(drainDecision(at([10, 0], [12, 3], [14, 0], [16, 0]), o), 'wait');
    assert.equal(drainDecision(at([10, 3], [12, 0], [14, 0], [16, 0]), o), 'drained');
  });

  it('never counts an unreadable gateway as drained, and gives up at the timeout', () => {
    assert.equal(drainDecision(at([10, 0], [12, Number.NaN], [14, 0]), o), 'wait');
    assert.equal(drainDecision(at([58, 1], [60, 1]), o), 'timeout');
  });
});

/** Fake helm and kubectl: answers by command, and the record of what ran. */
function fakeCluster({ active = 'blue', green = {}, inflightSeries = [2, 1, 0, 0, 0, 0, 0, 0, 0] } = {}) {
  const ran = [];
  let poll = 0;
  const run = ([command, args]) => {
    const line = [command, ...args].join(' ');
    ran.push(line);
    if (line.includes('get values flowgate-router')) return JSON.stringify({ activeColour: active });
    if (line.includes('rollout status')) return 'successfully rolled out\n';
    if (line.includes('get deployment')) return deploymentJson({ name: args.at(-3), ...green });
    if (line.includes('get pods')) return podsJson('flowgate-blue-gateway-1');
    if (line.includes('/proxy/metrics')) return metricsText(inflightSeries[Math.min(poll++, inflightSeries.length - 1)]);
    if (line.includes(' upgrade ')) return 'Release upgraded\n';
    throw new Error(`unexpected command ${line}`);
  };
  let clock = 0;
  const io = { run, now: () => clock, sleep: async (ms) => void (clock += ms), print: () => {} };
  return { ran, io };
}

describe('switchColour', () => {
  const options = (...extra) => parseArgs(['--to', 'green', '--settle', '4', '--poll', '2', ...extra]);

  it('checks green, flips the router, waits for blue to drain, then scales blue to zero', async () => {
    const { ran, io } = fakeCluster();
    assert.equal(await switchColour(options(), io), 'switched');
    const flip = ran.findIndex((l) => l.includes('upgrade flowgate-router helm/flowgate-router --reuse-values --set activeColour=green'));
    const lastReady = ran.findLastIndex((l) => l.includes('get deployment flowgate-green-'));
    const polls = ran.map((l, i) => [l, i]).filter(([l]) => l.includes('/pods/flowgate-blue-gateway-1:9100/proxy/metrics'));
    const scale = ran.findIndex((l) => l.includes('upgrade flowgate-blue helm/flowgate') && l.includes('gateway.replicas=0'));
    assert.ok(lastReady >= 0 && lastReady < flip, 'green checked before the flip');
    assert.ok(polls.length >= 3 && polls[0][1] > flip, 'blue polled after the flip');
    assert.ok(scale > polls.at(-1)[1], 'blue scaled down after its last poll');
    assert.equal(ran.length, scale + 1);
  });

  it('refuses to switch to a colour that is not ready, and leaves the router alone', async () => {
    const { ran, io } = fakeCluster({ green: { ready: 0 } });
    await assert.rejects(switchColour(options(), io), /green is not ready, not switching: .*0\/2 replicas ready/);
    assert.equal(ran.some((l) => l.includes(' upgrade ')), false);
  });

  it('does nothing when the router already points at the target', async () => {
    const { ran, io } = fakeCluster({ active: 'green' });
    assert.equal(await switchColour(options(), io), 'unchanged');
    assert.deepEqual(ran, ['helm --namespace flowgate get values flowgate-router --all -o json']);
  });

  it('keeps blue running when it does not drain in time', async () => {
    const { ran, io } = fakeCluster({ inflightSeries: [5] });
    await assert.rejects(switchColour(options('--drain-timeout', '20'), io), /blue still has requests in flight after 20s/);
    assert.equal(ran.some((l) => l.includes('upgrade flowgate-blue')), false);
    assert.equal(ran.some((l) => l.includes('activeColour=green')), true);
  });

  it('--keep-old stops after the drain', async () => {
    const { ran, io } = fakeCluster();
    assert.equal(await switchColour(options('--keep-old'), io), 'switched');
    assert.equal(ran.some((l) => l.includes('upgrade flowgate-blue')), false);
  });
});
