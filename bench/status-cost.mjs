// What the console's feed costs each app: the size of one status record and the CPU time to
// build it (read the metrics, build, encode), for a processor running the demo jobs with 8
// partitions per consumer and a gateway serving their 6 routes. Records are written once a second.
//   npm run build && node bench/status-cost.mjs
import { build } from 'esbuild';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { alias, root } from '../tools/build/workspace.mjs';

const ENTRY = `
import { encodeStatus } from '@flowgate/contracts';
import { createRegistry, ProcessorMetrics, readMetricSamples } from '@flowgate/metrics';
import { describeJob, jobContext, jobsOfModule } from '@flowgate/stream';
import { buildProcessorStatus, PROCESSOR_STATUS_METRICS } from './apps/processor/src/status/processor-status';
import { buildGatewayStatus, GATEWAY_STATUS_METRICS } from './apps/gateway/src/status/gateway-status';
import { GatewayMetrics } from '@flowgate/metrics';
const demo = require(process.env.DEMO_JOBS);

async function main() {
  const jobs = await jobsOfModule('demo', demo, jobContext('flowgate.'));
  const registry = createRegistry('processor');
  const m = new ProcessorMetrics(registry);
  const list = Array.isArray(jobs) ? jobs : await jobs;
  const placed = list.map((job: { name: string }) => ({ topology: describeJob(job as never), lane: job.name, topic: \`flowgate.\${job.name}\` }));
  for (const p of placed) {
    for (const n of p.topology.nodes) {
      m.operatorRecords.inc({ job: p.topology.name, operator: n.name, direction: 'in' }, 1000);
      m.operatorRecords.inc({ job: p.topology.name, operator: n.name, direction: 'out' }, 1000);
      for (let i = 0; i < 50; i++) m.operatorDuration.observe({ job: p.topology.name, operator: n.name }, Math.random() / 100);
    }
    m.partitionLag.set(p.lane, new Map(Array.from({ length: 8 }, (_, i) => [i, i])));
    m.partitionPaused.set(p.lane, new Map(Array.from({ length: 8 }, (_, i) => [i, 0])));
    m.batchCommits.inc({ job: p.topology.name, result: 'committed' }, 10);
  }
  for (const r of ['echo', 'delay', 'fail', 'counter', 'counter-get', 'ip-counts']) { m.records.inc({ route: r, result: 'processed' }, 5); m.handlerDuration.observe({ route: r }, 0.003); }
  const build = async () => encodeStatus(buildProcessorStatus({ instance: 'bench-processor-1', startedAt: 0, now: Date.now(), placed, samples: await readMetricSamples(registry, PROCESSOR_STATUS_METRICS) }));
  for (let i = 0; i < 200; i++) await build();
  const n = 2000;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes = (await build()).length;
  const wall = Number(process.hrtime.bigint() - t0) / 1e6 / n;
  const cpu = process.cpuUsage(cpu0);
  console.log(\`processor status (\${placed.length} jobs, \${placed.reduce((a: number, p: { topology: { nodes: unknown[] } }) => a + p.topology.nodes.length, 0)} nodes, 8 partitions per lane): \${bytes} bytes, \${wall.toFixed(3)} ms wall, \${((cpu.user + cpu.system) / 1000 / n).toFixed(3)} ms CPU per record\`);
  const g = createRegistry('gateway');
  const gm = new GatewayMetrics(g);
  for (const r of ['echo', 'delay', 'fail', 'counter', 'counter-get', 'ip-counts']) { gm.requests.inc({ route: r, status: '200' }, 9); gm.requests.inc({ route: r, status: '504' }); gm.requestDuration.observe({ route: r }, 0.01); }
  const gb = async () => encodeStatus(buildGatewayStatus({ instance: 'bench-gateway-1', startedAt: 0, now: Date.now(), eventRoute: 'echo', samples: await readMetricSamples(g, GATEWAY_STATUS_METRICS) }));
  for (let i = 0; i < 200; i++) await gb();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) bytes = (await gb()).length;
  const c = process.cpuUsage(c0);
  console.log(\`gateway status (6 routes): \${bytes} bytes, \${((c.user + c.system) / 1000 / n).toFixed(3)} ms CPU per record\`);
}
void main();
`;

// Under dist/ (ignored by git), so the bundle finds the npm packages in node_modules.
const outfile = join(root, 'dist/bench/status-cost.cjs');
await build({
  stdin: { contents: ENTRY, loader: 'ts', resolveDir: root, sourcefile: 'status-cost.ts' },
  outfile, bundle: true, platform: 'node', format: 'cjs', packages: 'external', alias, logLevel: 'warning',
});
process.env.DEMO_JOBS = join(root, 'dist/examples/demo.js');
await import(pathToFileURL(outfile).href);
