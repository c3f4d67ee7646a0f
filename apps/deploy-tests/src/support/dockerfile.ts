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

/** Parses a Dockerfile into stages (enough of the grammar for our own files: no heredocs). */
export function parseDockerfile(text: string): Stage[] {
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
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'));
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`line ${instruction.line}: ${instruction.keyword} before FROM`);
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return stages;
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
