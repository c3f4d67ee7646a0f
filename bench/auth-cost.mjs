// What caller authentication costs, and what a refused credential costs next to an admitted
// request, side by side in one run: the run's processor and Kafka behind three gateways.
//   open          POST /v1/echo through the run's gateway (FLOWGATE_AUTH=none)
//   key           through a gateway with FLOWGATE_AUTH=api-key (KEY_COUNT keys loaded), a good key
//   key refused   the same gateway, a wrong key: 401 in onRequest, body unread, nothing on Kafka
//   jwt           a gateway with FLOWGATE_AUTH=jwt (a static ES256 key set), a good token
//   jwt refused   the same gateway, an expired but well-signed token: the signature is checked
//                 before the expiry, so this is the costliest refusal
// Rate by rate, in rounds whose order rotates, so the machine's noise is shared. CPU is the
// gateway's own (the refusals never reach the processor), per 1000 answers. Next to it, in this
// process: the two checks alone (hash and lookup; jose's jwtVerify), ns per call.
// Used by tools/dev/bench.mjs; the report section is authMarkdown().
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Keys in the bench's key file: a realistic file, not a one-line one. */
export const KEY_COUNT = 100;

export const AUTH_VARIANTS = [
  { key: 'open', gateway: 'open', label: 'none (anonymous)', okStatus: 200 },
  { key: 'key', gateway: 'api-key', label: 'api-key, good key', okStatus: 200 },
  { key: 'keyRefused', gateway: 'api-key', label: 'api-key, wrong key (401)', okStatus: 401 },
  { key: 'jwt', gateway: 'jwt', label: 'jwt, good token', okStatus: 200 },
  { key: 'jwtRefused', gateway: 'jwt', label: 'jwt, expired token (401)', okStatus: 401 },
];

/**
 * Writes the key file and key set into `dir`; returns each auth gateway's extra environment and
 * each variant's request headers.
 */
export function authFixtures(dir) {
  const keys = Array.from({ length: KEY_COUNT }, () => randomBytes(32).toString('base64url'));
  const keysFile = join(dir, 'bench-api-keys');
  writeFileSync(keysFile, keys.map((k, i) => `caller-${i} ${createHash('sha256').update(k).digest('hex')}\n`).join(''));
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwksFile = join(dir, 'bench-jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256' }] }));
  const issuer = 'https://bench.flowgate.invalid/';
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const token = (expInS) => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'ES256', typ: 'JWT', kid: 'bench' })}.${b64({ iss: issuer, aud: 'flowgate', sub: 'bench-caller', iat: now, exp: now + expInS })}`;
    return `${unsigned}.${sign('sha256', Buffer.from(unsigned), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
  const good = token(6 * 3600);
  const expired = token(-3600);
  return {
    env: {
      'api-key': { FLOWGATE_AUTH: 'api-key', FLOWGATE_API_KEYS_FILE: keysFile },
      jwt: { FLOWGATE_AUTH: 'jwt', FLOWGATE_JWT_JWKS_FILE: jwksFile, FLOWGATE_JWT_ISSUER: issuer, FLOWGATE_JWT_AUDIENCE: 'flowgate' },
    },
    headers: {
      open: {},
      key: { authorization: `Bearer ${keys[KEY_COUNT - 1]}` },
      keyRefused: { authorization: `Bearer ${randomBytes(32).toString('base64url')}` },
      jwt: { authorization: `Bearer ${good}` },
      jwtRefused: { authorization: `Bearer ${expired}` },
    },
    micro: { keys, jwksFile, issuer, good, expired },
  };
}

/**
 * `deps`: `offer(gateway, rate, seconds, options)` (options: headers, okStatus), `cpu(pids)`,
 * `pid(gateway)`, `settle()`, `log`.
 */
export async function compareAuth({ rates, rounds, stepSeconds, fixtures, deps }) {
  const options = (v) => ({ headers: fixtures.headers[v.key], okStatus: v.okStatus });
  for (const variant of AUTH_VARIANTS) await deps.offer(variant.gateway, 300, 2, options(variant)); // warm-up
  const rows = [];
  for (const rate of rates) {
    for (let round = 1; round <= rounds; round++) {
      // Rotate the order, so no variant always follows the same one.
      const shift = (round - 1) % AUTH_VARIANTS.length;
      const order = [...AUTH_VARIANTS.slice(shift), ...AUTH_VARIANTS.slice(0, shift)];
      for (const variant of order) {
        const pid = deps.pid(variant.gateway);
        const cpu0 = deps.cpu([pid]);
        const r = await deps.offer(variant.gateway, rate, stepSeconds, options(variant));
        const cpu = deps.cpu([pid]) - cpu0;
        const row = { variant: variant.key, rate, round, sent: r.sent, ok: r.ok, p50: r.p50, p99: r.p99, gatewayCpuPer1k: (cpu / Math.max(1, r.ok)) * 1000 };
        rows.push(row);
        deps.log(`auth ${variant.key} @ ${rate}/s round ${round}: p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, gateway CPU ${row.gatewayCpuPer1k.toFixed(3)} s/1k, not as expected ${row.sent - row.ok}`);
        await deps.settle();
      }
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const ratios = rates.map((rate) => {
    const of = (key, field) => median(rows.filter((r) => r.rate === rate && r.variant === key).map((r) => r[field]));
    const vs = (a, b, field) => of(a, field) / of(b, field);
    return {
      rate,
      keyRefusedCpu: vs('keyRefused', 'key', 'gatewayCpuPer1k'),
      keyRefusedP50: vs('keyRefused', 'key', 'p50'),
      jwtRefusedCpu: vs('jwtRefused', 'jwt', 'gatewayCpuPer1k'),
      jwtRefusedP50: vs('jwtRefused', 'jwt', 'p50'),
      keyCpu: vs('key', 'open', 'gatewayCpuPer1k'),
      jwtCpu: vs('jwt', 'open', 'gatewayCpuPer1k'),
    };
  });
  return { rows, ratios, micro: await microAuth(fixtures.micro), keyCount: KEY_COUNT };
}

/** The checks alone, ns per call, 5 interleaved rounds: the key's hash and lookup; jose's verify. */
export async function microAuth({ keys, jwksFile, issuer, good, expired }, { rounds = 5 } = {}) {
  const { createLocalJWKSet, jwtVerify } = await import('jose');
  const { readFileSync } = await import('node:fs');
  const table = new Map(keys.map((k, i) => [createHash('sha256').update(k).digest('hex'), `caller-${i}`]));
  const keySet = createLocalJWKSet(JSON.parse(readFileSync(jwksFile, 'utf8')));
  const verifyOptions = { issuer, audience: ['flowgate'], algorithms: ['ES256'], clockTolerance: 30, requiredClaims: ['exp', 'sub'] };
  const wrongKey = randomBytes(32).toString('base64url');
  const lookup = (key) => table.get(createHash('sha256').update(key).digest('hex'));
  const syncNs = (fn, calls) => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    return ((performance.now() - t0) * 1e6) / calls;
  };
  const asyncNs = async (fn, calls) => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await fn().catch(() => undefined);
    return ((performance.now() - t0) * 1e6) / calls;
  };
  const figures = { keyGood: [], keyWrong: [], jwtGood: [], jwtExpired: [] };
  syncNs(() => lookup(keys[0]), 20_000);
  await asyncNs(() => jwtVerify(good, keySet, verifyOptions), 500);
  for (let round = 0; round < rounds; round++) {
    figures.keyGood.push(syncNs(() => lookup(keys[KEY_COUNT - 1]), 200_000));
    figures.keyWrong.push(syncNs(() => lookup(wrongKey), 200_000));
    figures.jwtGood.push(await asyncNs(() => jwtVerify(good, keySet, verifyOptions), 2_000));
    figures.jwtExpired.push(await asyncNs(() => jwtVerify(expired, keySet, verifyOptions), 2_000));
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, median(v)]));
}

export function authMarkdown(auth) {
  if (!auth) return '';
  const label = Object.fromEntries(AUTH_VARIANTS.map((v) => [v.key, v.label]));
  const x = (n) => `${n < 0.1 ? n.toFixed(3) : n.toFixed(2)}×`;
  const lines = [
    '## What caller authentication costs, and what a refusal costs',
    '',
    `Echo through three gateways on the same processor and Kafka (${auth.keyCount} API keys in the key file); ` +
      'the variants interleaved in rotating rounds. "ok" counts the expected status (200, or 401 for the refusals); CPU is the gateway\'s own, per 1000 answers.',
    '',
    '| variant | rate/s | round | ok/sent | p50 ms | p99 ms | gateway CPU s/1k |',
    '|---|---|---|---|---|---|---|',
    ...auth.rows.map((r) => `| ${label[r.variant]} | ${r.rate} | ${r.round} | ${r.ok}/${r.sent} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.gatewayCpuPer1k.toFixed(3)} |`),
    '',
    'Medians over the rounds, same run:',
    '',
    '| rate/s | key refused / admitted: CPU | p50 | jwt refused / admitted: CPU | p50 | api-key / none CPU | jwt / none CPU |',
    '|---|---|---|---|---|---|---|',
    ...auth.ratios.map((q) => `| ${q.rate} | ${x(q.keyRefusedCpu)} | ${x(q.keyRefusedP50)} | ${x(q.jwtRefusedCpu)} | ${x(q.jwtRefusedP50)} | ${x(q.keyCpu)} | ${x(q.jwtCpu)} |`),
    '',
    `The checks alone, in one process (median of 5 rounds): API key hash and lookup ${auth.micro.keyGood.toFixed(0)} ns (a wrong key ${auth.micro.keyWrong.toFixed(0)} ns); ` +
      `jose jwtVerify ES256 ${(auth.micro.jwtGood / 1000).toFixed(1)} µs (an expired token ${(auth.micro.jwtExpired / 1000).toFixed(1)} µs).`,
    '',
  ];
  return lines.join('\n');
}
