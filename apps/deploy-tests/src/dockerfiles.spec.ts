import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { GATEWAY_ENV, PROCESSOR_ENV, SWEEPER_ENV } from '@flowgate/config';
import { copyArgs, execForm, keyValues, parseDockerfile, Stage } from './support/dockerfile';
import { mustRun, repoRoot } from './support/tools';

const APPS = [
  { app: 'gateway', port: GATEWAY_ENV.FLOWGATE_GATEWAY_PORT.parse(undefined) },
  { app: 'processor', port: PROCESSOR_ENV.FLOWGATE_PROCESSOR_PORT.parse(undefined) },
  { app: 'sweeper', port: SWEEPER_ENV.FLOWGATE_SWEEPER_PORT.parse(undefined) },
];

const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** An image reference pinned to an exact release (x.y.z, optionally -variant) or a digest. */
const PINNED = /^[a-z0-9./-]+(:\d+\.\d+\.\d+(-[a-z0-9.-]+)?)?(@sha256:[0-9a-f]{64})?$/;
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY/i;

describe.each(APPS)('apps/$app/Dockerfile', ({ app, port }) => {
  const text = readFileSync(join(repoRoot, 'apps', app, 'Dockerfile'), 'utf8');
  const stages = parseDockerfile(text);
  const final = stages[stages.length - 1];
  const instructions = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
  const project = JSON.parse(readFileSync(join(repoRoot, 'apps', app, 'project.json'), 'utf8'));

  it('builds from base images pinned to an exact version (or digest), never latest', () => {
    const names = new Set(stages.map((s) => s.name));
    for (const stage of stages) {
      if (names.has(stage.from)) continue; // FROM an earlier stage
      expect(stage.from).toMatch(PINNED);
      expect(stage.from).toMatch(/:\d+\.\d+\.\d+|@sha256:/);
      expect(stage.from).not.toMatch(/:latest\b/);
    }
  });

  it('is multi-stage: production dependencies, build, and a runtime without the build tools', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const runs = stages.map((s) => instructions(s, 'RUN').map((i) => i.args).join('\n'));
    expect(runs.some((r) => /npm (ci|install) .*--omit=dev/.test(r))).toBe(true);
    expect(runs.some((r) => r.includes(`npx nx run ${app}:build`))).toBe(true);
    expect(instructions(final, 'RUN')).toEqual([]);
  });

  it('runs as a numeric non-root user', () => {
    const users = instructions(final, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users[users.length - 1].args;
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
  });

  it('starts node in exec form on the bundle, so SIGTERM reaches the app', () => {
    const [cmd] = instructions(final, 'CMD').slice(-1);
    const argv = execForm(cmd?.args ?? '');
    expect(argv?.[0]).toBe('node');
    expect(argv?.[argv.length - 1]).toBe(`dist/apps/${app}/main.js`);
    expect(instructions(final, 'ENTRYPOINT')).toEqual([]);
  });

  it('copies the bundle from where the build target writes it, and the bundle exists after a build', () => {
    const outputs: string[] = project.targets.build.outputs.map((o: string) => o.replace('{workspaceRoot}/', ''));
    expect(outputs).toEqual([`dist/apps/${app}`]);
    const copies = instructions(final, 'COPY').map((i) => copyArgs(i.args));
    const bundle = copies.find((c) => c.flags.from === 'build' && c.sources.some((s) => s.endsWith(outputs[0])));
    expect(bundle).toEqual(expect.objectContaining({ dest: outputs[0], sources: [`/app/${outputs[0]}`] }));
    const build = stages.find((s) => s.name === 'build');
    expect(build && instructions(build, 'WORKDIR').map((i) => i.args)).toEqual(['/app']);
    expect(instructions(final, 'WORKDIR').map((i) => i.args)).toEqual(['/app']);
    const mainJs = join(repoRoot, outputs[0], 'main.js');
    if (!existsSync(mainJs)) mustRun('sh', ['-c', project.targets.build.options.command]);
    expect(existsSync(mainJs)).toBe(true);
  });

  it('needs at runtime only production dependencies, which the deps stage installs', () => {
    const bundle = readFileSync(join(repoRoot, 'dist/apps', app, 'main.js'), 'utf8');
    const required = new Set([...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
    const builtins = new Set(builtinModules);
    const packages = [...required]
      .filter((r) => !r.startsWith('node:') && !r.startsWith('.') && !builtins.has(r))
      .map((r) => (r.startsWith('@') ? r.split('/').slice(0, 2).join('/') : r.split('/')[0]));
    expect(packages.length).toBeGreaterThan(0);
    expect(packages.filter((p) => !(p in packageJson.dependencies))).toEqual([]);
  });

  it('sets NODE_ENV=production, exposes the app port and bakes in no secrets', () => {
    const env = Object.fromEntries(instructions(final, 'ENV').flatMap((i) => keyValues(i.args)));
    expect(env.NODE_ENV).toBe('production');
    expect(instructions(final, 'EXPOSE').map((i) => i.args)).toEqual([String(port)]);
    const secretish = stages
      .flatMap((s) => [...instructions(s, 'ENV'), ...instructions(s, 'ARG')])
      .flatMap((i) => keyValues(i.args))
      .filter(([name, value]) => SECRET_NAME.test(name) && value !== undefined && value !== '');
    expect(secretish).toEqual([]);
  });

  it('copies nothing the .dockerignore leaves out of the build context', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const must of ['.git', 'node_modules', 'dist']) expect(ignored).toContain(must);
    const sources = stages
      .flatMap((s) => instructions(s, 'COPY').map((i) => copyArgs(i.args)))
      .filter((c) => !c.flags.from)
      .flatMap((c) => c.sources);
    for (const source of sources) {
      const hit = ignored.find((pattern) => {
        const plain = pattern.replace(/^\*\*\//, '');
        return source === plain || source.startsWith(`${plain}/`) || plain.startsWith(`${source}/`);
      });
      expect({ source, ignoredBy: hit }).toEqual({ source, ignoredBy: undefined });
      expect(existsSync(join(repoRoot, source))).toBe(true);
    }
  });
});

describe('Dockerfile parser', () => {
  // The checks above are only as good as the parser: it must see what Docker sees.
  it('joins continuations, reads exec form, ENV pairs and flags', () => {
    const [stage] = parseDockerfile('FROM node:24.21.0-bookworm-slim AS x\nENV A=1 B="two words"\nRUN a \\\n  # note\n  && b\nCOPY --from=x --chown=1:1 /a /b c\nCMD ["node", "m.js"]\n');
    expect(stage).toMatchObject({ from: 'node:24.21.0-bookworm-slim', name: 'x' });
    expect(keyValues(stage.instructions[0].args)).toEqual([['A', '1'], ['B', 'two words']]);
    expect(stage.instructions[1].args).toBe('a && b');
    expect(copyArgs(stage.instructions[2].args)).toEqual({ flags: { from: 'x', chown: '1:1' }, sources: ['/a', '/b'], dest: 'c' });
    expect(execForm(stage.instructions[3].args)).toEqual(['node', 'm.js']);
    expect(execForm('node m.js')).toBeUndefined();
    expect('node:latest').not.toMatch(/:\d+\.\d+\.\d+|@sha256:/);
  });
});
