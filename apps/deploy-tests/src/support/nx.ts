import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustRun, repoRoot } from './tools';

export interface NxProject {
  readonly name: string;
  readonly targets: Record<string, { outputs?: string[] }>;
}

/** An Nx project by name, from apps/*\/project.json and libs/*\/project.json. */
export function nxProject(name: string): NxProject {
  for (const folder of ['apps', 'libs']) {
    for (const dir of readdirSync(join(repoRoot, folder))) {
      const file = join(repoRoot, folder, dir, 'project.json');
      if (!existsSync(file)) continue;
      const project = JSON.parse(readFileSync(file, 'utf8')) as NxProject;
      if (project.name === name) return project;
    }
  }
  throw new Error(`no Nx project named ${name} under apps/ or libs/`);
}

/** A build target's output folders, relative to the repository root. */
export function buildOutputs(project: NxProject): string[] {
  return (project.targets.build?.outputs ?? []).map((o) => o.replace('{workspaceRoot}/', ''));
}

/**
 * Runs the project's build unless `file` (relative to the repository root) is already there;
 * true when the file exists afterwards.
 */
export function builtFile(project: NxProject, file: string): boolean {
  if (!existsSync(join(repoRoot, file))) mustRun('npx', ['nx', 'run', `${project.name}:build`, '--outputStyle=static']);
  return existsSync(join(repoRoot, file));
}
