/**
 * A small typed environment reader. Every variable is declared once with its type, default and
 * bounds; `readEnv` checks all of them and reports every bad one together, so a misconfigured
 * deployment is fixed in one round instead of one crash per variable.
 */
export interface EnvVar<T> {
  readonly description: string;
  parse(raw: string | undefined): T;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

class VarError extends Error {}

export type EnvSpec = Record<string, EnvVar<unknown>>;
export type EnvValues<S extends EnvSpec> = { readonly [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never };

export function readEnv<S extends EnvSpec>(spec: S, env: NodeJS.ProcessEnv = process.env): EnvValues<S> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, variable] of Object.entries(spec)) {
    const raw = env[name];
    try {
      values[name] = variable.parse(raw === '' ? undefined : raw);
    } catch (error) {
      if (!(error instanceof VarError)) throw error;
      problems.push(`${name}=${JSON.stringify(raw ?? '')}: ${error.message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values as EnvValues<S>;
}

export function int(opts: { default: number; min: number; max: number; description: string }): EnvVar<number> {
  return {
    description: opts.description,
    parse(raw) {
      if (raw === undefined) return opts.default;
      if (!/^-?\d+$/.test(raw.trim())) throw new VarError('must be a whole number');
      const value = Number(raw);
      if (value < opts.min || value > opts.max) {
        throw new VarError(`must be between ${opts.min} and ${opts.max}`);
      }
      return value;
    },
  };
}

export function optionalInt(opts: { min: number; max: number; description: string }): EnvVar<number | undefined> {
  const reader = int({ ...opts, default: opts.min });
  return { description: opts.description, parse: (raw) => (raw === undefined ? undefined : reader.parse(raw)) };
}

export function str(opts: { default: string; pattern?: RegExp; rule?: string; description: string }): EnvVar<string> {
  return {
    description: opts.description,
    parse(raw) {
      const value = raw ?? opts.default;
      if (opts.pattern && !opts.pattern.test(value)) throw new VarError(`must be ${opts.rule ?? opts.pattern}`);
      return value;
    },
  };
}

export function oneOf<T extends string>(opts: { default: T; values: readonly T[]; description: string }): EnvVar<T> {
  return {
    description: opts.description,
    parse(raw) {
      const value = (raw ?? opts.default) as T;
      if (!opts.values.includes(value)) throw new VarError(`must be one of ${opts.values.join(', ')}`);
      return value;
    },
  };
}

/** Comma-separated `host:port` list; with `optional`, unset (or empty) reads as an empty list. */
export function hostPorts(opts: { default: string; optional?: boolean; description: string }): EnvVar<string[]> {
  return {
    description: opts.description,
    parse(raw) {
      const list = (raw ?? opts.default).split(',').map((s) => s.trim()).filter(Boolean);
      if (list.length === 0 && opts.optional) return list;
      const bad = list.filter((hp) => !/^[A-Za-z0-9.[\]:-]+:\d{1,5}$/.test(hp));
      if (list.length === 0 || bad.length > 0) throw new VarError('must be a comma-separated list of host:port');
      return list;
    },
  };
}

export function redisUrl(opts: { default: string; description: string }): EnvVar<string> {
  return {
    description: opts.description,
    parse(raw) {
      const value = raw ?? opts.default;
      let url: URL;
      try {
        url = new URL(value);
      } catch (error) {
        throw new VarError(`must be a redis:// or rediss:// URL (${(error as Error).message})`);
      }
      if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new VarError('must start with redis:// or rediss://');
      return value;
    },
  };
}
