import { collectDefaultMetrics, Registry } from 'prom-client';

/** One registry per process, with Node's default process metrics under `flowgate_<component>_`. */
export function createRegistry(component: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export type { Registry };
