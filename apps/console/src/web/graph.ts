import dagre from '@dagrejs/dagre';

/** A step of a job as the status record carries it (`GET /topology`'s node). */
export interface TopologyNode {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly [detail: string]: unknown;
}

export interface DrawnNode {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  /** One line of what the step is: a route's HTTP path, stores, a window's spec, a concurrency… */
  readonly detail: string;
  /** Added by the console (a window's late output, the DLQ), not in `/topology`. */
  readonly derived: boolean;
  readonly spec: TopologyNode | undefined;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface DrawnEdge {
  readonly from: string;
  readonly to: string;
  readonly derived: boolean;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface JobGraph {
  readonly nodes: readonly DrawnNode[];
  readonly edges: readonly DrawnEdge[];
  readonly width: number;
  readonly height: number;
}

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 84;

/** The HTTP paths of a route source: `POST /v1/<route>` each, `/event` too for the event route. */
export function routePaths(route: string, eventRoute?: string): string[] {
  return route.split(',').flatMap((r) => (r === eventRoute ? [`/v1/${r}`, '/event'] : [`/v1/${r}`]));
}

/** What a node's second line says about the step. */
export function describeNode(node: TopologyNode, eventRoute?: string): string {
  const window = node.window as { description?: string } | undefined;
  const stores = Array.isArray(node.stores) ? (node.stores as string[]) : [];
  switch (node.kind) {
    case 'source':
      return typeof node.route === 'string' ? `POST ${routePaths(node.route, eventRoute).join(' ')}` : `topic ${String(node.topic ?? '')}`;
    case 'sink':
      return typeof node.topic === 'string' ? `topic ${node.topic}` : 'HTTP reply';
    case 'window':
      return `${window?.description ?? 'window'}${stores.length ? ` · store ${stores.join(', ')}` : ''}`;
    case 'process':
      return stores.length ? `stores ${stores.join(', ')}` : 'process';
    case 'mapAsync':
      return `concurrency ${String(node.concurrency ?? '?')}${node.ordered === 'key' ? ', ordered by key' : ''}`;
    case 'script':
      return `script ${String(node.script ?? node.name)}`;
    default:
      return node.kind;
  }
}

/**
 * A job's graph as the page draws it, laid out left to right by dagre: the nodes and edges of
 * `/topology` (one each, so the drawing can be checked against it), plus sinks the topology
 * implies — a window's late output, and the DLQ where a route job's failed records go.
 */
export function buildJobGraph(job: { readonly nodes: readonly TopologyNode[]; readonly edges: readonly { readonly from: string; readonly to: string }[] }, eventRoute?: string): JobGraph {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 56, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const nodes = new Map<string, Omit<DrawnNode, 'x' | 'y'>>();
  const edges: { from: string; to: string; derived: boolean }[] = [];
  for (const node of job.nodes) {
    nodes.set(node.id, { id: node.id, kind: node.kind, title: node.name, detail: describeNode(node, eventRoute), derived: false, spec: node, width: NODE_WIDTH, height: NODE_HEIGHT });
  }
  for (const edge of job.edges) edges.push({ ...edge, derived: false });
  for (const node of job.nodes) {
    const lateTo = (node.window as { lateTo?: string } | undefined)?.lateTo;
    if (lateTo) {
      const id = `${node.id}#late`;
      nodes.set(id, { id, kind: 'late', title: 'late events', detail: `topic ${lateTo}`, derived: true, spec: undefined, width: NODE_WIDTH, height: NODE_HEIGHT });
      edges.push({ from: node.id, to: id, derived: true });
    }
  }
  const source = job.nodes.find((n) => n.kind === 'source' && typeof n.route === 'string');
  if (source) {
    const id = `${source.id}#dlq`;
    nodes.set(id, { id, kind: 'dlq', title: 'dead letters', detail: 'failed records → DLQ', derived: true, spec: undefined, width: NODE_WIDTH, height: NODE_HEIGHT });
    edges.push({ from: source.id, to: id, derived: true });
  }
  for (const node of nodes.values()) g.setNode(node.id, { width: node.width, height: node.height });
  for (const edge of edges) g.setEdge(edge.from, edge.to, edge.derived ? { minlen: 1, weight: 0 } : { minlen: 1, weight: 2 });
  dagre.layout(g);
  const graph = g.graph();
  return {
    nodes: [...nodes.values()].map((node) => {
      const { x, y } = g.node(node.id);
      return { ...node, x: x - node.width / 2, y: y - node.height / 2 };
    }),
    edges: edges.map((edge) => ({ ...edge, points: g.edge(edge.from, edge.to).points ?? [] })),
    width: graph.width ?? 0,
    height: graph.height ?? 0,
  };
}
