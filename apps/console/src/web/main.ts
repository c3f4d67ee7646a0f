// The console page: signs in (a `#token=` fragment or the form, exchanged for a session cookie),
// then draws every job of the view the server streams each second. Graphs are laid out once
// per topology (dagre) and only their figures change afterwards, so a tick costs little.
import { nodeChart } from './chart';
import { count, h, millis, rate, s } from './dom';
import { buildJobGraph, DrawnNode, JobGraph } from './graph';
import type { ConsoleView, DeadLetter, GatewayView, HistoryPoint, JobView, NodeFigures } from './view';

interface DrawnJob {
  readonly signature: string;
  readonly card: HTMLElement;
  readonly graph: JobGraph;
  readonly nodes: Map<string, { readonly g: SVGElement; readonly line1: SVGElement; readonly line2: SVGElement }>;
  readonly edges: Map<string, { readonly path: SVGElement; readonly label: SVGElement }>;
  readonly stats: HTMLElement;
  readonly partitions: HTMLElement;
}

const drawn = new Map<string, DrawnJob>();
let view: ConsoleView | undefined;
let selected: { job: string; node: string } | undefined;
let history: HistoryPoint[] = [];
let letters: DeadLetter[] = [];
let stream: EventSource | undefined;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function start(): Promise<void> {
  const fragment = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (fragment) {
    // The token leaves the address bar (and the history) before anything else happens.
    history_replace();
    await signIn(decodeURIComponent(fragment[1]));
  }
  const response = await fetch('/api/view', { credentials: 'same-origin' });
  if (response.status === 401) return showLogin();
  showApp();
  render((await response.json()) as ConsoleView);
  connect();
}

function history_replace(): void {
  window.history.replaceState(null, '', location.pathname + location.search);
}

async function signIn(token: string): Promise<boolean> {
  const response = await fetch('/api/session', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  return response.ok;
}

function showLogin(message?: string): void {
  stream?.close();
  $('app').hidden = true;
  const form = $<HTMLFormElement>('login');
  form.hidden = false;
  const error = $('login-error');
  error.hidden = !message;
  error.textContent = message ?? '';
  form.onsubmit = async (event) => {
    event.preventDefault();
    if (await signIn($<HTMLInputElement>('token').value)) {
      form.hidden = true;
      void start();
    } else showLogin('That is not the admin token.');
  };
}

function showApp(): void {
  $('login').hidden = true;
  $('app').hidden = false;
}

function connect(): void {
  stream?.close();
  stream = new EventSource('/api/stream');
  const badge = $('connection');
  stream.onopen = () => {
    badge.textContent = 'live';
    badge.className = 'connection live';
  };
  stream.onmessage = (event) => render(JSON.parse(event.data as string) as ConsoleView);
  stream.onerror = () => {
    badge.textContent = 'reconnecting…';
    badge.className = 'connection down';
    // A session that expired: EventSource would retry forever with a 401.
    void fetch('/api/view', { credentials: 'same-origin' }).then((r) => r.status === 401 && showLogin('Your session ended; sign in again.'), () => undefined);
  };
}

function render(next: ConsoleView): void {
  view = next;
  // Per consumer, not per job: the stateless jobs share the requests topic's partitions.
  const paused = next.processors.reduce((n, p) => n + p.lanes.reduce((m, lane) => m + lane.paused.length, 0), 0);
  $('summary').textContent = `${next.processors.length} processor${next.processors.length === 1 ? '' : 's'} · ${next.gateways.length} gateway${next.gateways.length === 1 ? '' : 's'} · ${next.jobs.length} jobs${paused ? ` · ${paused} paused partition${paused === 1 ? '' : 's'}` : ''} · ${new Date(next.at).toLocaleTimeString()}`;
  renderJobs(next);
  renderGateways(next.gateways);
  renderProcessors(next);
  renderScripts(next);
  if (selected) {
    const job = next.jobs.find((j) => j.name === selected!.job);
    const f = job && figuresOf(job, selected.node);
    if (f) history.push([next.at, f.inPerSec, f.outPerSec, f.errorsPerSec, f.p99Ms ?? null]);
    if (history.length > 300) history.splice(0, history.length - 300);
    renderDetail();
  }
}

function gatewayRate(route: string): number {
  return (view?.gateways ?? []).reduce((sum, g) => sum + Object.values(g.routes.find((r) => r.route === route)?.perSec ?? {}).reduce((a, b) => a + b, 0), 0);
}

/** What the callers of these routes got over the last second, over all gateways: `200 41/s · 504 1/s · p99 12 ms` (p99: the slowest gateway's). */
function answers(routes: readonly string[]): string {
  const byStatus: Record<string, number> = {};
  let p99: number | undefined;
  for (const g of view?.gateways ?? []) {
    for (const r of g.routes.filter((r) => routes.includes(r.route))) {
      for (const [status, n] of Object.entries(r.perSec)) byStatus[status] = (byStatus[status] ?? 0) + n;
      if (r.p99Ms !== undefined) p99 = Math.max(p99 ?? 0, r.p99Ms);
    }
  }
  const statuses = Object.entries(byStatus).filter(([, n]) => n > 0).map(([status, n]) => `${status} ${rate(n)}`);
  return `${statuses.join(' · ') || 'no answers'} · p99 ${millis(p99)}`;
}

function eventRoute(): string | undefined {
  return view?.gateways.flatMap((g) => g.routes).find((r) => r.path.includes('/event'))?.route;
}

/** Figures of a node, the console's own nodes included (late events, dead letters). */
function figuresOf(job: JobView, node: string): NodeFigures | undefined {
  if (node.endsWith('#late')) return { inPerSec: job.late.perSec, outPerSec: job.late.perSec, errorsPerSec: 0, inTotal: job.late.total, outTotal: job.late.total, errorsTotal: 0 };
  if (node.endsWith('#dlq')) {
    const source = job.figures[node.slice(0, -'#dlq'.length)];
    return source && { inPerSec: source.errorsPerSec, outPerSec: source.errorsPerSec, errorsPerSec: 0, inTotal: source.errorsTotal, outTotal: source.errorsTotal, errorsTotal: 0 };
  }
  return job.figures[node];
}

function renderJobs(next: ConsoleView): void {
  const container = $('jobs');
  const names = new Set(next.jobs.map((j) => j.name));
  for (const [name, job] of drawn) {
    if (!names.has(name)) {
      job.card.remove();
      drawn.delete(name);
    }
  }
  if (next.jobs.length === 0) {
    if (!container.querySelector('.empty')) container.replaceChildren(h('p', { class: 'empty card' }, 'No processor has published its status yet.'));
    return;
  }
  container.querySelector('.empty')?.remove();
  for (const job of next.jobs) {
    const signature = JSON.stringify([job.nodes, job.edges, eventRoute()]);
    let d = drawn.get(job.name);
    if (!d || d.signature !== signature) {
      const fresh = drawJob(job, signature);
      if (d) d.card.replaceWith(fresh.card);
      else container.append(fresh.card);
      drawn.set(job.name, fresh);
      d = fresh;
    }
    updateJob(d, job);
  }
  // Keep the cards in the order of the view (by name).
  for (const job of next.jobs) container.append(drawn.get(job.name)!.card);
}

function drawJob(job: JobView, signature: string): DrawnJob {
  const graph = buildJobGraph(job, eventRoute());
  const svg = s('svg', { width: graph.width, height: graph.height, viewBox: `0 0 ${graph.width} ${graph.height}`, 'data-job': job.name });
  svg.append(s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#8a93a6' }))));
  const edges = new Map<string, { path: SVGElement; label: SVGElement }>();
  for (const edge of graph.edges) {
    const d = edge.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    const path = s('path', { class: `edge${edge.derived ? ' derived' : ''}`, d, 'data-job': job.name, 'data-from': edge.from, 'data-to': edge.to, 'data-derived': edge.derived || undefined });
    const mid = edge.points[Math.floor(edge.points.length / 2)] ?? { x: 0, y: 0 };
    const label = s('text', { class: 'edge-label', x: mid.x, y: mid.y - 4, 'text-anchor': 'middle' });
    svg.append(path, label);
    edges.set(`${edge.from}>${edge.to}`, { path, label });
  }
  const nodes = new Map<string, { g: SVGElement; line1: SVGElement; line2: SVGElement }>();
  for (const node of graph.nodes) {
    const line1 = s('text', { class: 'figures', x: 8, y: 56 });
    const line2 = s('text', { class: 'figures', x: 8, y: 72 });
    const g = s(
      'g',
      {
        class: `node ${node.kind}`, transform: `translate(${node.x.toFixed(1)},${node.y.toFixed(1)})`, tabindex: 0, role: 'button',
        'data-job': job.name, 'data-node-id': node.id, 'data-kind': node.kind, 'data-derived': node.derived || undefined,
      },
      s('title', {}, `${node.title} — ${node.detail}`),
      s('rect', { width: node.width, height: node.height, rx: 6 }),
      s('text', { class: 'title', x: 8, y: 17 }, clip(`${kindLabel(node)} ${node.title}`, 30)),
      s('text', { class: 'detail', x: 8, y: 34 }, clip(node.detail, 34)),
      line1,
      line2,
    );
    g.addEventListener('click', () => select(job.name, node.id));
    g.addEventListener('keydown', (event) => {
      if ((event as KeyboardEvent).key === 'Enter' || (event as KeyboardEvent).key === ' ') void select(job.name, node.id);
    });
    svg.append(g);
    nodes.set(node.id, { g, line1, line2 });
  }
  const stats = h('div', { class: 'stats' });
  const partitions = h('div', { class: 'badges' });
  const card = h(
    'article',
    { class: 'card job', 'data-job': job.name },
    h('h2', {}, job.name, h('small', {}, `${job.lane === 'requests' ? 'shared requests topic' : `topic ${job.topic}`}`)),
    h('div', { class: 'graph' }, svg),
    stats,
    partitions,
  );
  return { signature, card, graph, nodes, edges, stats, partitions };
}

function kindLabel(node: DrawnNode): string {
  return { source: '▶', sink: '■', late: '▲', dlq: '⚠', script: '◆' }[node.kind] ?? '●';
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function updateJob(d: DrawnJob, job: JobView): void {
  for (const node of d.graph.nodes) {
    const el = d.nodes.get(node.id)!;
    const f = figuresOf(job, node.id);
    const routeNames = node.kind === 'source' && typeof node.spec?.route === 'string' ? node.spec.route.split(',') : [];
    const gw = routeNames.reduce((sum, r) => sum + gatewayRate(r), 0);
    el.line1.textContent = f ? `in ${rate(f.inPerSec)} · out ${rate(f.outPerSec)}${routeNames.length ? ` · http ${rate(gw)}` : ''}` : '';
    const script = node.kind === 'script' ? view?.scripts.find((sc) => sc.name === (node.spec?.script ?? node.title)) : undefined;
    // The caller's side of a reply: what the gateways answered for the job's routes, end to end.
    const jobRoutes = job.nodes.flatMap((n) => (n.kind === 'source' && typeof n.route === 'string' ? n.route.split(',') : []));
    const replies = node.kind === 'sink' && node.spec?.topic === undefined && jobRoutes.length > 0;
    el.line2.textContent = script
      ? `v${script.stable ?? '?'}${script.canary ? ` · canary v${script.canary.version} ${Math.round(script.canary.share * 100)}%` : ''} · p99 ${millis(f?.p99Ms)}`
      : replies ? clip(`http ${answers(jobRoutes)}`, 38)
        : f ? `err ${rate(f.errorsPerSec)} · p99 ${millis(f.p99Ms)} · ${count(f.inTotal)} total` : '';
    const backpressure = node.kind === 'source' && job.partitions.some((p) => p.paused);
    el.g.setAttribute('class', `node ${node.kind}${f && f.inPerSec > 0 ? ' busy' : ''}${f && f.errorsPerSec > 0 && node.kind !== 'dlq' ? ' errors' : ''}${backpressure ? ' paused' : ''}${selected?.job === job.name && selected.node === node.id ? ' selected' : ''}`);
    el.g.setAttribute('data-in-rate', String(f?.inPerSec ?? 0));
    el.g.setAttribute('data-out-rate', String(f?.outPerSec ?? 0));
    el.g.setAttribute('data-in-total', String(f?.inTotal ?? 0));
  }
  for (const edge of d.graph.edges) {
    const el = d.edges.get(`${edge.from}>${edge.to}`)!;
    const r = edge.to.endsWith('#dlq') ? (job.figures[edge.from]?.errorsPerSec ?? 0) : edge.to.endsWith('#late') ? job.late.perSec : (job.figures[edge.from]?.outPerSec ?? 0);
    el.label.textContent = r > 0 ? rate(r) : '';
    el.path.setAttribute('class', `edge${edge.derived ? ' derived' : ''}${r > 0 ? ' flowing' : ''}`);
    el.path.setAttribute('data-rate', String(r));
  }
  const pausedCount = job.partitions.filter((p) => p.paused).length;
  const watermarks = job.partitions.filter((p) => p.watermarkLagSeconds !== undefined).map((p) => p.watermarkLagSeconds!);
  const lag = job.partitions.reduce((sum, p) => sum + (p.lag ?? 0), 0);
  d.stats.replaceChildren(
    statItem('instances', job.instances.join(', ') || '–'),
    statItem('lag', count(lag)),
    statItem('paused', pausedCount ? `${pausedCount} (backpressure)` : '0', pausedCount > 0),
    ...(watermarks.length ? [statItem('watermark lag', `${Math.max(...watermarks).toFixed(1)} s`)] : []),
    ...(job.commits.committed + job.commits.aborted > 0
      ? [statItem('transactions', `${count(job.commits.committed)} committed (${rate(job.commits.committedPerSec)}) · ${count(job.commits.aborted)} aborted`)]
      : []),
    ...(job.late.total > 0 ? [statItem('late events', `${count(job.late.total)} (${rate(job.late.perSec)})`)] : []),
  );
  d.partitions.replaceChildren(
    ...job.partitions.map((p) =>
      h(
        'span',
        {
          class: `partition${p.paused ? ' paused' : ''}${(p.lag ?? 0) > 100 ? ' lagging' : ''}`,
          title: `${job.topic} partition ${p.partition} on ${p.instance}${p.paused ? ' — paused: its queue is full (backpressure)' : ''}`,
          'data-job': job.name, 'data-partition': p.partition, 'data-instance': p.instance, 'data-paused': String(p.paused),
        },
        `p${p.partition} ${p.instance}${p.lag !== undefined ? ` · lag ${count(p.lag)}` : ''}${p.watermarkLagSeconds !== undefined ? ` · wm ${p.watermarkLagSeconds.toFixed(1)} s` : ''}${p.paused ? ' · PAUSED' : ''}`,
      ),
    ),
  );
}

function statItem(name: string, value: string, alarm = false): HTMLElement {
  return h('span', alarm ? { class: 'alarm' } : {}, `${name} `, h('b', {}, value));
}

function renderGateways(gateways: readonly GatewayView[]): void {
  $('gateways').replaceChildren(
    ...gateways.map((g) => {
      const used = g.inflightLimit > 0 ? g.inflight / g.inflightLimit : 0;
      const bar = h('div', { class: `bar${used >= 1 ? ' full' : ''}` }, h('div'));
      (bar.firstChild as HTMLElement).style.width = `${Math.min(100, used * 100).toFixed(1)}%`;
      return h(
        'article',
        { class: 'card gateway', 'data-gateway': g.instance },
        h('h2', {}, `gateway ${g.instance}`, h('small', {}, `reply partition ${g.replyPartition}`)),
        h('div', { class: 'stats' }, statItem('in flight', `${g.inflight} / ${g.inflightLimit}`), bar, statItem('rejections', `${rate(g.rejectionsPerSec)} (${count(Object.values(g.rejections).reduce((a, b) => a + b, 0))} total)`)),
        h(
          'table',
          {},
          h('tr', {}, h('th', {}, 'route'), h('th', {}, 'path'), h('th', {}, 'requests by status'), h('th', {}, 'p99')),
          ...g.routes.map((r) =>
            h(
              'tr',
              {
                'data-gateway': g.instance, 'data-route': r.route,
                'data-rate': String(Object.values(r.perSec).reduce((a, b) => a + b, 0)),
                'data-total': String(Object.values(r.totals).reduce((a, b) => a + b, 0)),
              },
              h('td', {}, r.route),
              h('td', {}, r.path),
              h('td', {}, Object.entries(r.perSec).map(([status, n]) => `${status} ${rate(n)}`).join(' · ')),
              h('td', {}, millis(r.p99Ms)),
            ),
          ),
        ),
      );
    }),
  );
}

function renderProcessors(next: ConsoleView): void {
  $('processors').replaceChildren(
    ...next.processors.map((p) =>
      h(
        'article',
        { class: 'card processor', 'data-instance': p.instance },
        h('h2', {}, `processor ${p.instance}`, h('small', {}, `up ${Math.round((next.at - p.startedAt) / 1000)} s`)),
        ...p.lanes.map((lane) =>
          h(
            'div',
            { class: 'badges' },
            h('span', {}, `${lane.name}:`),
            ...(lane.partitions.length === 0
              ? [h('span', { class: 'hint' }, 'no partitions')]
              : lane.partitions.map((n) => h('span', { class: `partition${lane.paused.includes(n) ? ' paused' : ''}`, 'data-lane': lane.name, 'data-partition': n }, `p${n}`))),
          ),
        ),
      ),
    ),
  );
}

function renderScripts(next: ConsoleView): void {
  const versions = (perVersion: Readonly<Record<string, number>>) =>
    Object.entries(perVersion).map(([v, n]) => `v${v} ${rate(n)}`).join(' · ') || '–';
  $('scripts').replaceChildren(
    ...(next.scripts.length === 0
      ? []
      : [
          h(
            'article',
            { class: 'card scripts' },
            h('h2', {}, 'scripts', h('small', {}, 'active versions (<prefix>scripts) and what each processor serves')),
            h(
              'table',
              {},
              h('tr', {}, h('th', {}, 'script'), h('th', {}, 'stable'), h('th', {}, 'canary'), h('th', {}, 'calls'), h('th', {}, 'failures'), h('th', {}, 'processors')),
              ...next.scripts.map((sc) =>
                h(
                  'tr',
                  { 'data-script': sc.name },
                  h('td', { title: sc.reason ? `${sc.reason} at ${sc.changedAt}` : '' }, sc.name),
                  h('td', {}, sc.stable !== undefined ? `v${sc.stable}` : '–'),
                  h('td', {}, sc.canary ? `v${sc.canary.version} · ${Math.round(sc.canary.share * 100)}%` : '–'),
                  h('td', {}, versions(sc.callsPerSec)),
                  h('td', {}, versions(sc.errorsPerSec)),
                  h('td', {}, sc.serving.map((p) => `${p.instance} v${p.stable ?? '?'}${p.canary !== undefined ? `+v${p.canary}` : ''}`).join(', ') || '–'),
                ),
              ),
            ),
          ),
        ]),
  );
}

async function select(job: string, node: string): Promise<void> {
  selected = { job, node };
  history = [];
  letters = [];
  renderDetail();
  if (view) renderJobs(view);
  const q = `job=${encodeURIComponent(job)}`;
  const [h1, l1] = await Promise.all([
    fetch(`/api/history?${q}&node=${encodeURIComponent(node)}`).then((r) => (r.ok ? r.json() : { points: [] })),
    fetch(`/api/dead-letters?${q}`).then((r) => (r.ok ? r.json() : { deadLetters: [] })),
  ]);
  if (selected?.job !== job || selected.node !== node) return;
  history = [...(h1 as { points: HistoryPoint[] }).points];
  letters = (l1 as { deadLetters: DeadLetter[] }).deadLetters;
  renderDetail();
}

// The dead letters of the selected job, every two seconds while one is selected.
setInterval(() => {
  if (!selected) return;
  const job = selected.job;
  void fetch(`/api/dead-letters?job=${encodeURIComponent(job)}`)
    .then((r) => (r.ok ? r.json() : { deadLetters: [] }))
    .then((body) => {
      if (selected?.job === job) letters = (body as { deadLetters: DeadLetter[] }).deadLetters;
    }, () => undefined);
}, 2000);

function renderDetail(): void {
  const panel = $('detail');
  const job = view?.jobs.find((j) => j.name === selected?.job);
  const node = job && drawn.get(job.name)?.graph.nodes.find((n) => n.id === selected?.node);
  if (!job || !node) return void panel.replaceChildren(h('p', { class: 'hint' }, 'Select a node to see its spec, its last minutes and the job\'s recent dead letters.'));
  const f = figuresOf(job, node.id);
  panel.replaceChildren(
    h('h3', {}, `${job.name} › ${node.title}`),
    h('div', { class: 'hint' }, `${node.kind}${node.derived ? ' (drawn by the console)' : ''} · ${node.detail}`),
    h('pre', {}, JSON.stringify(node.spec ?? { id: node.id, kind: node.kind, detail: node.detail }, null, 2)),
    h(
      'table',
      {},
      h('tr', {}, h('th', {}, ''), h('th', {}, 'per second'), h('th', {}, 'total')),
      h('tr', {}, h('td', {}, 'in'), h('td', {}, rate(f?.inPerSec)), h('td', {}, f ? count(f.inTotal) : '–')),
      h('tr', {}, h('td', {}, 'out'), h('td', {}, rate(f?.outPerSec)), h('td', {}, f ? count(f.outTotal) : '–')),
      h('tr', {}, h('td', {}, 'errors'), h('td', {}, rate(f?.errorsPerSec)), h('td', {}, f ? count(f.errorsTotal) : '–')),
      h('tr', {}, h('td', {}, 'p99'), h('td', {}, millis(f?.p99Ms)), h('td', {}, '')),
    ),
    h('h3', {}, 'last minutes'),
    nodeChart(history),
    h('div', { class: 'legend' }, h('span', { class: 'in' }, '— in/s'), h('span', { class: 'out' }, '— out/s'), h('span', { class: 'p99' }, '- - p99')),
    h('h3', {}, `recent dead letters of ${job.name}`),
    letters.length === 0
      ? h('p', { class: 'hint' }, 'none since the console started')
      : h('ul', { class: 'letters' }, ...letters.map((l) => h('li', {}, `${new Date(l.at).toLocaleTimeString()} ${l.route ?? l.source ?? ''}: ${l.reason}`))),
  );
}

void start();
