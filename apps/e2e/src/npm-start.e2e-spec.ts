import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePorts } from './support/app-process';
import { eventually, post } from './support/http';
import { stackEnv, uniquePrefix } from './support/stack';

const ROOT = resolve(__dirname, '../../..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: the process is gone
  }
}

/**
 * `npm start` as a user runs it (tools/dev/start.mjs), against the test run's Kafka and Redis:
 * the ready line, a request, an app dying while the others keep running, and Ctrl-C leaving no
 * process behind.
 */
describe('npm start', () => {
  let start: ChildProcess;
  let output = '';

  afterAll(() => {
    if (start.exitCode === null) start.kill('SIGKILL');
  });

  it('starts all four apps, survives one dying, and stops everything on Ctrl-C', async () => {
    const [gatewayPort, adminPort, processorPort, sweeperPort, consolePort] = await freePorts(5);
    start = spawn(process.execPath, ['tools/dev/start.mjs'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...stackEnv(),
        FLOWGATE_TOPIC_PREFIX: uniquePrefix('npm-start'),
        FLOWGATE_GATEWAY_PORT: String(gatewayPort),
        FLOWGATE_ADMIN_PORT: String(adminPort),
        FLOWGATE_PROCESSOR_PORT: String(processorPort),
        FLOWGATE_SWEEPER_PORT: String(sweeperPort),
        FLOWGATE_CONSOLE_PORT: String(consolePort),
        FLOWGATE_ADMIN_TOKEN: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    start.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    start.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((r) => start.once('exit', (code) => r(code)));

    await eventually(() => output.includes(`ready: http://127.0.0.1:${gatewayPort}`), 90_000, 'the ready line');
    const url = `http://127.0.0.1:${gatewayPort}`;
    expect((await post(`${url}/v1/echo`, { via: 'npm start' })).json).toMatchObject({ via: 'npm start', result: 'ok' });
    // The ready line is the gateway's; the sweeper starts beside it and may answer a moment later.
    await eventually(async () => (await fetch(`http://127.0.0.1:${sweeperPort}/healthz`).then((r) => r.status, () => 0)) === 200, 30_000, 'the sweeper healthy');
    expect(output).toContain(`metrics: http://127.0.0.1:${adminPort}/metrics`);
    expect((await fetch(`http://127.0.0.1:${adminPort}/metrics`)).status).toBe(200);
    await eventually(() => output.includes(`console: http://127.0.0.1:${consolePort}/`), 30_000, 'the console line');
    expect((await fetch(`http://127.0.0.1:${consolePort}/api/view`)).status).toBe(200); // no token: open, on loopback

    const pids = Object.fromEntries(
      ['gateway', 'processor', 'sweeper', 'console'].map((app) => [app, Number(new RegExp(`\\[${app}\\] \\{[^\\n]*?"pid":(\\d+)`).exec(output)?.[1])]),
    );
    expect(Object.values(pids).every((pid) => pid > 0)).toBe(true);

    process.kill(pids.processor, 'SIGKILL');
    await eventually(() => /processor exited \(SIGKILL\); the other apps keep running/.test(output), 10_000, 'the death notice');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(alive(pids.sweeper)).toBe(true);

    start.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('[flowgate] stopped');
    expect(Object.values(pids).filter(alive)).toEqual([]);
  }, 150_000);
});
