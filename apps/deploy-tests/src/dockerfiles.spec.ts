import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONSOLE_ENV, GATEWAY_ENV, PROCESSOR_ENV, SWEEPER_ENV } from '@flowgate/config';
import { copyArgs, execForm, healthcheckArgs, imageStages, Instruction, keyValues, parseDockerfile } from './support/dockerfile';
import { buildOutputs, builtFile, nxProject } from './support/nx';
import { mustRun, repoRoot, runCommand } from './support/tools';

const APPS = [
  { app: 'gateway', portVariable: 'FLOWGATE_GATEWAY_PORT', port: GATEWAY_ENV.FLOWGATE_GATEWAY_PORT.parse(undefined) },
  { app: 'processor', portVariable: 'FLOWGATE_PROCESSOR_PORT', port: PROCESSOR_ENV.FLOWGATE_PROCESSOR_PORT.parse(undefined) },
  { app: 'sweeper', portVariable: 'FLOWGATE_SWEEPER_PORT', port: SWEEPER_ENV.FLOWGATE_SWEEPER_PORT.parse(undefined) },
  { app: 'console', portVariable: 'FLOWGATE_CONSOLE_PORT', port: CONSOLE_ENV.FLOWGATE_CONSOLE_PORT.parse(undefined) },
];

const DOCKERFILE = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');

const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** An image reference pinned to an exact release (x.y.z, optionally -variant) or a digest. */
const PINNED = /^[a-z0-9./-]+(:\d+\.\d+\.\d+(-[a-z0-9.-]+)?)?(@sha256:[0-9a-f]{64})?$/;
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY/i;

describe('the Dockerfile', () => {
  it('is the only one: every app image is built from the Dockerfile at the repository root', () => {
    const files = mustRun('git', ['ls-files', '--cached', '--others', '--exclude-standard'])
      .split('\n')
      .filter((f) => /(^|\/)Dockerfile[^/]*$/.test(f));
    expect(files).toEqual(['Dockerfile']);
  });

  it.each([[''], ['gatway']])('builds nothing for APP=%j: it names no stage and no pinned image', (app) => {
    const stages = parseDockerfile(DOCKERFILE, { APP: app });
    const last = stages[stages.length - 1];
    expect(imageStages(stages)).toEqual([last]);
    expect(last.from).not.toMatch(/:\d+\.\d+\.\d+|@sha256:/);
  });
});

describe.each(APPS)('the Dockerfile with --build-arg APP=$app', ({ app, portVariable, port }) => {
  const stages = parseDockerfile(DOCKERFILE, { APP: app });
  /** Everything the image holds: the instructions of its stage and of the stages it builds on. */
  const image = imageStages(stages).flatMap((s) => s.instructions);
  const build = stages.find((s) => s.name === 'build');
  const of = (instructions: Instruction[], keyword: string) => instructions.filter((i) => i.keyword === keyword);
  const project = nxProject(app);

  it('builds the image from a pinned base image (or digest), never latest', () => {
    const [base] = imageStages(stages);
    expect(base.from).toMatch(PINNED);
    const names = new Set(stages.map((s) => s.name));
    for (const stage of stages) {
      if (names.has(stage.from)) continue; // FROM an earlier stage
      expect(stage.from).toMatch(PINNED);
      expect(stage.from).toMatch(/:\d+\.\d+\.\d+|@sha256:/);
      expect(stage.from).not.toMatch(/:latest\b/);
    }
  });

  it('is multi-stage: production dependencies, the app\'s build, and a runtime without the build tools', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const runs = stages.map((s) => of(s.instructions, 'RUN').map((i) => i.args).join('\n'));
    expect(runs.some((r) => /npm (ci|install) .*--omit=dev/.test(r))).toBe(true);
    expect(build && of(build.instructions, 'RUN').map((i) => i.args)).toContainEqual(expect.stringContaining(`npx nx run ${app}:build`));
    expect(of(image, 'RUN')).toEqual([]);
  });

  it('runs as a numeric non-root user', () => {
    const users = of(image, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users[users.length - 1].args;
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
  });

  it('starts node in exec form on the app\'s bundle, so SIGTERM reaches the app', () => {
    const [cmd] = of(image, 'CMD').slice(-1);
    const argv = execForm(cmd?.args ?? '');
    expect(argv?.[0]).toBe('node');
    expect(argv?.[argv.length - 1]).toBe(`dist/apps/${app}/main.js`);
    expect(of(image, 'ENTRYPOINT')).toEqual([]);
  });

  it('copies the bundle from where the build target writes it, and the bundle exists after a build', () => {
    const outputs = buildOutputs(project);
    expect(outputs).toEqual([`dist/apps/${app}`]);
    const fromBuild = of(image, 'COPY').map((i) => copyArgs(i.args)).filter((c) => c.flags.from === 'build');
    expect(fromBuild).toContainEqual(expect.objectContaining({ dest: outputs[0], sources: [`/app/${outputs[0]}`] }));
    // Only the processor loads job modules; the other images carry nothing but their bundle.
    const shipped = fromBuild.map((c) => c.dest);
    expect(shipped).toEqual(app === 'processor' ? [outputs[0], 'dist/examples'] : [outputs[0]]);
    expect(build && of(build.instructions, 'WORKDIR').map((i) => i.args)).toEqual(['/app']);
    expect(of(image, 'WORKDIR').map((i) => i.args)).toEqual(['/app']);
    expect(builtFile(project, `${outputs[0]}/main.js`)).toBe(true);
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
    const env = Object.fromEntries(of(image, 'ENV').flatMap((i) => keyValues(i.args)));
    expect(env.NODE_ENV).toBe('production');
    expect(of(image, 'EXPOSE').map((i) => i.args)).toEqual([String(port)]);
    const secretish = stages
      .flatMap((s) => [...of(s.instructions, 'ENV'), ...of(s.instructions, 'ARG')])
      .flatMap((i) => keyValues(i.args))
      .filter(([name, value]) => SECRET_NAME.test(name) && value !== undefined && value !== '');
    expect(secretish).toEqual([]);
  });

  describe('health check', () => {
    const [healthcheck] = of(image, 'HEALTHCHECK').slice(-1);
    const argv = healthcheck && healthcheckArgs(healthcheck.args).argv;
    // fetch replaced by a stub that prints the URL asked for and answers as STUB_HEALTH_OK says:
    // the check runs as Docker runs it, without a server on the app's port.
    let dir = '';
    let stub = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'flowgate-healthcheck-'));
      stub = join(dir, 'fetch-stub.js');
      writeFileSync(stub, "globalThis.fetch = async (url) => { process.stdout.write(String(url)); return { ok: process.env.STUB_HEALTH_OK === '1' }; };\n");
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const probe = (env: Record<string, string>) => {
      if (!argv || argv[0] !== 'node') throw new Error(`HEALTHCHECK must be an exec-form node command, got ${healthcheck?.args}`);
      return runCommand(process.execPath, ['--require', stub, ...argv.slice(1)], { env: { PATH: process.env.PATH, ...env } });
    };

    it(`asks /healthz on ${portVariable}, or on ${port} when it is unset`, () => {
      expect(probe({ STUB_HEALTH_OK: '1' })).toMatchObject({ status: 0, stdout: `http://127.0.0.1:${port}/healthz` });
      expect(probe({ STUB_HEALTH_OK: '1', [portVariable]: '18080' })).toMatchObject({ status: 0, stdout: 'http://127.0.0.1:18080/healthz' });
    });

    it('fails when the app does not answer OK', () => {
      expect(probe({ STUB_HEALTH_OK: '0' }).status).toBe(1);
    });
  });

  it('copies nothing the .dockerignore leaves out of the build context', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const must of ['.git', 'node_modules', 'dist']) expect(ignored).toContain(must);
    const sources = stages
      .flatMap((s) => of(s.instructions, 'COPY').map((i) => copyArgs(i.args)))
      .filter((c) => !c.flags.from)
      .flatMap((c) => c.sources);
    expect(sources).toContain(`apps/${app}`);
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

describe('the processor image', () => {
  const stages = parseDockerfile(DOCKERFILE, { APP: 'processor' });
  const build = stages.find((s) => s.name === 'build');

  it('ships the job modules of examples:build, among them every default of processor.jobs', () => {
    const examples = nxProject('examples');
    const outputs = buildOutputs(examples);
    expect(outputs).toEqual(['dist/examples']);
    expect(build?.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args)).toContainEqual(expect.stringContaining('npx nx run examples:build'));
    const image = imageStages(stages).flatMap((s) => s.instructions);
    const copies = image.filter((i) => i.keyword === 'COPY').map((i) => copyArgs(i.args));
    expect(copies).toContainEqual({ flags: { from: 'build' }, sources: ['/app/dist/examples'], dest: 'dist/examples' });
    // Job modules are resolved against the image's working directory, /app.
    const values = parse(readFileSync(join(repoRoot, 'helm/flowgate/values.yaml'), 'utf8')) as { processor: { jobs: string } };
    for (const job of values.processor.jobs.split(',')) {
      expect(job).toMatch(/^dist\/examples\//);
      expect({ job, built: builtFile(examples, job) }).toEqual({ job, built: true });
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
    expect(healthcheckArgs('--interval=10s --retries=3 CMD ["node", "-e", "x"]')).toEqual({ flags: { interval: '10s', retries: '3' }, argv: ['node', '-e', 'x'] });
  });

  it('expands build arguments where Docker does: globals in FROM, stage ARGs to the end of their stage, ENV down to later stages', () => {
    const text = [
      'ARG APP',
      'FROM node:24.21.0-bookworm-slim AS base',
      'ARG APP',
      'ENV WHERE=/srv',
      'COPY apps/${APP} $WHERE/$APP',
      'FROM base AS app-x',
      'RUN echo "[$APP]" $WHERE',
      'CMD ["node", "dist/$APP/main.js"]',
      'FROM app-${APP}',
    ].join('\n');
    const stages = parseDockerfile(text, { APP: 'x' });
    expect(stages.map((s) => s.from)).toEqual(['node:24.21.0-bookworm-slim', 'base', 'app-x']);
    expect(stages[0].instructions.map((i) => i.args)).toEqual(['APP', 'WHERE=/srv', 'apps/x /srv/x']);
    // An ARG does not cross into the next stage; ENV does. Exec-form CMD is never expanded.
    expect(stages[1].instructions.map((i) => i.args)).toEqual(['echo "[]" /srv', '["node", "dist/$APP/main.js"]']);
    expect(imageStages(stages)).toEqual(stages);
    expect(parseDockerfile(text)[2].from).toBe('app-');
  });
});
