import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { Logger } from '@nestjs/common';
import { ConfigError } from '@flowgate/config';
import type { GatewayMetrics } from '@flowgate/metrics';
import { ApiKeyTable, parseApiKeyFile } from './api-key-file';
import { AuthVerdict, Authenticator, bearerChallenge, bearerToken } from './authenticator';

export interface ApiKeyOptions {
  /** FLOWGATE_API_KEYS_FILE */
  readonly file: string;
  /** FLOWGATE_API_KEY_HEADER: `authorization` (Bearer) or a header holding the bare key. */
  readonly header: string;
  /** FLOWGATE_API_KEYS_RELOAD_MS */
  readonly reloadMs: number;
  readonly metrics: GatewayMetrics;
}

/** Keys longer than this are refused before hashing (a header can be 16 KiB). */
const MAX_KEY_LENGTH = 1_024;

/**
 * FLOWGATE_AUTH=api-key. The file holds SHA-256 digests only, so a leaked file or memory dump
 * gives no usable key. The presented key is hashed before anything is compared: the lookup by
 * digest can leak timing only about the digest of a key the attacker chose, never a prefix of a
 * stored key (what a byte-by-byte comparison of keys would leak); the entry found is then
 * compared with `timingSafeEqual`. The cost is one SHA-256 and one map lookup, however many keys.
 *
 * The file is read again every `reloadMs` and swapped in whole when it changed and parses (a
 * Kubernetes Secret volume is updated by an atomic symlink swap, which `fs.watch` can miss); a
 * broken or missing file keeps the keys in use and says so in the log and metrics.
 */
export class ApiKeyAuthenticator implements Authenticator {
  private readonly logger = new Logger(ApiKeyAuthenticator.name);
  private table: ApiKeyTable;
  private text: string;
  private readonly timer: NodeJS.Timeout;
  private reloading = false;

  /** @throws ConfigError naming FLOWGATE_API_KEYS_FILE when the file cannot be read or parsed. */
  constructor(private readonly options: ApiKeyOptions) {
    try {
      this.text = readFileSync(options.file, 'utf8');
    } catch (error) {
      throw new ConfigError([`FLOWGATE_API_KEYS_FILE=${options.file}: ${(error as Error).message}`]);
    }
    const { table, problems } = parseApiKeyFile(this.text);
    if (problems.length > 0) throw new ConfigError(problems.map((p) => `FLOWGATE_API_KEYS_FILE=${options.file} ${p}`));
    this.table = table;
    this.loaded();
    this.timer = setInterval(() => void this.reload(), options.reloadMs);
    this.timer.unref();
  }

  authenticate(headers: IncomingHttpHeaders): AuthVerdict {
    const { header } = this.options;
    const value = headers[header];
    let key: string | null | undefined;
    if (header === 'authorization') key = bearerToken(value);
    else key = Array.isArray(value) ? null : value?.trim();
    if (key === undefined || key === '') return { ok: false, reason: 'missing', detail: `send the API key in ${this.where()}` };
    if (key === null || key.length > MAX_KEY_LENGTH) return { ok: false, reason: 'malformed', detail: `send one API key in ${this.where()}` };
    const digest = createHash('sha256').update(key).digest();
    const entry = this.table.get(digest.toString('hex'));
    if (entry === undefined || !timingSafeEqual(entry.digest, digest)) {
      return { ok: false, reason: 'unknown_key', detail: 'the API key is not valid' };
    }
    return { ok: true, callerId: entry.callerId };
  }

  challenge(verdict: Extract<AuthVerdict, { ok: false }>): string {
    if (this.options.header === 'authorization') return bearerChallenge(verdict);
    return `ApiKey realm="flowgate", header="${this.options.header}"`;
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Applies the file if it changed; keeps the current keys if it cannot be read or parsed. */
  async reload(): Promise<void> {
    if (this.reloading) return;
    this.reloading = true;
    try {
      let text: string;
      try {
        text = await readFile(this.options.file, 'utf8');
      } catch (error) {
        if (this.text !== '\0unreadable') {
          this.logger.warn(`API key file unreadable, keeping ${this.table.size} keys: ${(error as Error).message}`);
          this.options.metrics.apiKeyReloads.inc({ result: 'error' });
        }
        this.text = '\0unreadable'; // warn once per outage, and apply the file when it is back
        return;
      }
      if (text === this.text) return;
      this.text = text;
      const { table, problems } = parseApiKeyFile(text);
      if (problems.length > 0) {
        this.logger.warn(`API key file changed but is invalid, keeping ${this.table.size} keys: ${problems.join('; ')}`);
        this.options.metrics.apiKeyReloads.inc({ result: 'error' });
        return;
      }
      this.table = table;
      this.options.metrics.apiKeyReloads.inc({ result: 'ok' });
      this.loaded();
    } finally {
      this.reloading = false;
    }
  }

  private loaded(): void {
    this.options.metrics.apiKeys.set(this.table.size);
    this.logger.log(`API keys loaded: ${this.table.size} keys of ${new Set([...this.table.values()].map((e) => e.callerId)).size} callers`);
  }

  private where(): string {
    return this.options.header === 'authorization' ? 'Authorization: Bearer <key>' : `the ${this.options.header} header`;
  }
}
