/** One Dockerfile instruction, continuation lines joined. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly from: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

/**
 * Instructions whose arguments Docker expands ($NAME, ${NAME}) from the ARGs and ENVs in scope.
 * RUN is not expanded by Docker but by the shell it starts, whose environment holds the same
 * ARGs and ENVs, so it is expanded here too. CMD, ENTRYPOINT and HEALTHCHECK stay as written:
 * their exec form is never expanded, which is what the specs must see.
 */
const EXPANDED = new Set(['ADD', 'COPY', 'ENV', 'EXPOSE', 'FROM', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR', 'RUN']);

/**
 * Parses a Dockerfile into stages as Docker builds them with `--build-arg` `buildArgs`
 * (enough of the grammar for our own files: no heredocs, no ${NAME:-default} forms). ARGs before
 * the first FROM reach only the FROM lines; inside a stage an ARG is in scope from its
 * declaration to the end of that stage, and a stage built FROM an earlier one inherits its ENVs
 * but not its ARGs.
 */
export function parseDockerfile(text: string, buildArgs: Record<string, string> = {}): Stage[] {
  const globals = new Map<string, string>();
  const stages: Stage[] = [];
  const envs: Map<string, string>[] = [];
  let scope = new Map<string, string>();
  for (const raw of instructionsOf(text)) {
    if (raw.keyword === 'ARG') {
      const [[name, fallback]] = keyValues(expand(raw.args, scope, raw.line));
      const value = buildArgs[name] ?? fallback ?? globals.get(name) ?? '';
      if (stages.length === 0) globals.set(name, value);
      else scope.set(name, value);
      if (stages.length > 0) stages[stages.length - 1].instructions.push(raw);
      continue;
    }
    if (raw.keyword === 'FROM') {
      const [from, as, name] = expand(raw.args, globals, raw.line).split(/\s+/).filter((word) => !word.startsWith('--'));
      const parent = stages.findIndex((s) => s.name?.toLowerCase() === from.toLowerCase());
      envs.push(new Map(parent >= 0 ? envs[parent] : []));
      scope = new Map(envs[envs.length - 1]);
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
      continue;
    }
    if (stages.length === 0) throw new Error(`line ${raw.line}: ${raw.keyword} before FROM`);
    const instruction = EXPANDED.has(raw.keyword) ? { ...raw, args: expand(raw.args, scope, raw.line) } : raw;
    if (instruction.keyword === 'ENV') {
      for (const [key, value] of keyValues(instruction.args)) {
        envs[envs.length - 1].set(key, value ?? '');
        scope.set(key, value ?? '');
      }
    }
    stages[stages.length - 1].instructions.push(instruction);
  }
  return stages;
}

/**
 * The stages that make up the image of the last stage, base image first: a stage built FROM an
 * earlier stage starts from everything that stage holds.
 */
export function imageStages(stages: Stage[]): Stage[] {
  const chain: Stage[] = [];
  let stage: Stage | undefined = stages[stages.length - 1];
  while (stage) {
    chain.unshift(stage);
    const from = stage.from.toLowerCase();
    // Only an earlier stage can be a base: a later one of the same name is an image reference.
    stage = stages.slice(0, stages.indexOf(stage)).find((s) => s.name?.toLowerCase() === from);
  }
  return chain;
}

function instructionsOf(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i += 1;
      // Comment lines inside a continued instruction are dropped, as Docker does.
      if (/^\s*#/.test(lines[i])) continue;
      line = line.replace(/\s*\\\s*$/, ' ') + lines[i].trim();
    }
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`line ${start + 1}: cannot parse "${line}"`);
    instructions.push({ keyword: match[1].toUpperCase(), args: match[2].trim(), line: start + 1 });
  }
  return instructions;
}

/** `$NAME` and `${NAME}` from `scope`; a name not in scope expands to nothing, as in Docker. */
function expand(args: string, scope: Map<string, string>, line: number): string {
  return args.replace(/\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_match, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`line ${line}: \${${name}} is not supported by this parser`);
    return scope.get(name) ?? '';
  });
}

/** `KEY=value KEY2="v 2"` or the legacy `KEY value` of ENV; ARG's `NAME[=default]`. */
export function keyValues(args: string): [string, string | undefined][] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args) && /\s/.test(args)) {
    const [key, ...rest] = args.split(/\s+/);
    return [[key, rest.join(' ')]];
  }
  const pairs: [string, string | undefined][] = [];
  const pattern = /([A-Za-z_][A-Za-z0-9_]*)(?:=("(?:[^"\\]|\\.)*"|'[^']*'|\S*))?/g;
  for (const match of args.matchAll(pattern)) pairs.push([match[1], match[2]?.replace(/^["']|["']$/g, '')]);
  return pairs;
}

/** The JSON array of an exec-form CMD/ENTRYPOINT, or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? (parsed as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** HEALTHCHECK's options and the argv of its exec-form CMD (undefined for NONE or shell form). */
export function healthcheckArgs(args: string): { flags: Record<string, string>; argv?: string[] } {
  const match = /^((?:--\S+\s+)*)(CMD\s+(.*)|NONE)$/.exec(args);
  if (!match) throw new Error(`cannot parse HEALTHCHECK ${args}`);
  const flags = Object.fromEntries(match[1].trim().split(/\s+/).filter(Boolean).map((flag) => flag.slice(2).split('=') as [string, string]));
  return { flags, argv: match[3] === undefined ? undefined : execForm(match[3]) };
}

/** COPY's flags and paths: `COPY --from=build --chown=x src... dest`. */
export function copyArgs(args: string): { flags: Record<string, string>; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const flags: Record<string, string> = {};
  for (let word = words[0]; word?.startsWith('--'); word = words[0]) {
    words.shift();
    const [flag, value] = word.slice(2).split('=');
    flags[flag] = value ?? '';
  }
  const dest = words.pop() ?? '';
  return { flags, sources: words, dest };
}
