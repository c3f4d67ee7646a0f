import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { helmTemplate, ofKind } from './support/manifests';
import { ensureTools, INSTALL_TIMEOUT_MS, repoRoot, runCommand } from './support/tools';

const SCRIPT = join(repoRoot, 'tools/bluegreen/bluegreen.mjs');

describe('tools/bluegreen', () => {
  it('passes its unit tests (node --test: decisions, and runs against fake helm and kubectl)', () => {
    // The test files by name: Node 22+ reads a directory argument of --test as a file, not a folder to search.
    const dir = join(repoRoot, 'tools/bluegreen');
    const files = readdirSync(dir).filter((name) => name.endsWith('.test.mjs')).map((name) => join(dir, name));
    const { status, stdout, stderr } = runCommand(process.execPath, ['--test', '--test-reporter=tap', ...files]);
    expect({ status, fail: /^# fail (\d+)$/m.exec(stdout)?.[1], output: status === 0 ? '' : stdout + stderr }).toEqual({ status: 0, fail: '0', output: '' });
    expect(Number(/^# pass (\d+)$/m.exec(stdout)?.[1])).toBeGreaterThanOrEqual(10);
  });

  it('--dry-run prints the switch in order: check, flip, drain, scale down', () => {
    const { status, stdout } = runCommand(process.execPath, [SCRIPT, '--to', 'green', '--namespace', 'shop', '--dry-run']);
    expect(status).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('helm --namespace shop get values flowgate-router --all -o json');
    expect(lines).toContain('kubectl --namespace shop rollout status deployment/flowgate-green-gateway --timeout=60s');
    const flip = lines.indexOf('helm --namespace shop upgrade flowgate-router helm/flowgate-router --reuse-values --set activeColour=green --wait');
    const metrics = lines.findIndex((l) => l.startsWith("kubectl get --raw '/api/v1/namespaces/shop/pods/"));
    const scale = lines.findIndex((l) => l.startsWith('helm --namespace shop upgrade flowgate-blue helm/flowgate --reuse-values'));
    const lastCheck = lines.map((l, i) => (l.includes('flowgate-green-') ? i : -1)).reduce((a, b) => Math.max(a, b));
    expect(flip).toBeGreaterThan(lastCheck);
    expect(metrics).toBeGreaterThan(flip);
    expect(scale).toBe(lines.length - 1);
    expect(lines[scale]).toContain('--set gateway.replicas=0 --set processor.replicas=0 --set sweeper.replicas=0');
  });

  it('refuses bad arguments with the usage', () => {
    const { status, stderr } = runCommand(process.execPath, [SCRIPT, '--to', 'purple']);
    expect(status).toBe(1);
    expect(stderr).toContain('usage: node tools/bluegreen/bluegreen.mjs --to <blue|green>');
  });

  describe('its helm commands fit the charts', () => {
    beforeAll(() => ensureTools(), INSTALL_TIMEOUT_MS);

    it('the flip selects the target colour, and the scale-down renders a release without pods', () => {
      const router = helmTemplate('flowgate-router', { release: 'flowgate-router', set: { activeColour: 'green' } });
      expect(ofKind(router, 'Service')[0].spec.selector['flowgate.io/colour']).toBe('green');
      const old = helmTemplate('flowgate', {
        release: 'flowgate-blue',
        set: {
          colour: 'blue',
          'gateway.autoscaling.enabled': false,
          'processor.autoscaling.enabled': false,
          'gateway.replicas': 0,
          'processor.replicas': 0,
          'sweeper.replicas': 0,
        },
      });
      expect(ofKind(old, 'Deployment').map((d) => [d.metadata.name, d.spec.replicas])).toEqual([
        ['flowgate-blue-gateway', 0],
        ['flowgate-blue-processor', 0],
        ['flowgate-blue-sweeper', 0],
      ]);
    });
  });
});
