// A throwaway certificate authority and a server certificate for 127.0.0.1/localhost, made with openssl, for
// running Kafka and Redis over TLS locally and in tests. Nothing here is fit for production: the keys are
// unencrypted files and the certificates live two days.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function openssl(args, cwd) {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const hint = err.code === 'ENOENT' ? 'openssl not found (Debian: apt-get install openssl)' : err.stderr || err.message;
    throw new Error(`openssl ${args[0]} failed: ${hint}`);
  }
}

/**
 * Makes (once per directory: existing files are reused) `ca.pem`/`ca.key`, and `server.pem`/`server.key`
 * signed by that CA for `IP:127.0.0.1, DNS:localhost`, plus `server-keystore.pem` (key and chain in one
 * file, what Kafka's `ssl.keystore.type=PEM` reads). Keys are PKCS#8 without a password.
 * Returns the paths: { dir, ca, caKey, cert, key, keystore }.
 */
export async function ensureTlsCerts(dir, { cn = 'flowgate-test-ca' } = {}) {
  mkdirSync(dir, { recursive: true });
  const paths = {
    dir,
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
    keystore: join(dir, 'server-keystore.pem'),
  };
  if (existsSync(paths.keystore)) return paths;
  const days = ['-days', '2'];
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', ...days, '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'server.ext'), [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'basicConstraints=CA:FALSE',
    'keyUsage=digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
  ].join('\n') + '\n');
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', ...days,
    '-extfile', 'server.ext'], dir);
  // Written last: its presence marks a complete set.
  writeFileSync(paths.keystore, readFileSync(paths.key, 'utf8') + readFileSync(paths.cert, 'utf8') + readFileSync(paths.ca, 'utf8'));
  return paths;
}
