import type { ScriptVersionRecord } from '@flowgate/contracts';
import type { LoadedScript, ScriptCallContext, ScriptHost } from '@flowgate/scripts';

/**
 * A version loaded in its sandboxes, shared by the active sets that serve it (a stable version
 * stays loaded when a canary is added or removed). Retired when no active set serves it any more;
 * its sandboxes are disposed only once every call that started on it has ended, those still
 * waiting for a free sandbox of the pool included, so a swap never fails or cuts a call short.
 */
export class LoadedVersion implements LoadedScript {
  private inflight = 0;
  private retired = false;
  private disposed: Promise<void> | undefined;

  constructor(
    readonly record: ScriptVersionRecord,
    private readonly script: LoadedScript,
    private readonly onDisposeError: (error: unknown) => void,
  ) {}

  get name(): string {
    return this.record.name;
  }

  get version(): number {
    return this.record.version;
  }

  get manifest() {
    return this.record.manifest;
  }

  /** `<name>@<version>`, as in the `fg-script-version` header. */
  get label(): string {
    return `${this.record.name}@${this.record.version}`;
  }

  /** Whether `record` is this very version (same number and content). */
  is(record: ScriptVersionRecord): boolean {
    return record.version === this.record.version && record.sha256 === this.record.sha256 && record.source === this.record.source;
  }

  /** Counted from the moment it is called (synchronously), so a swap right after it still lets it finish here. */
  async call(input: unknown, ctx: ScriptCallContext, host: ScriptHost): Promise<unknown> {
    this.inflight++;
    try {
      return await this.script.call(input, ctx, host);
    } finally {
      if (--this.inflight === 0 && this.retired) void this.dispose();
    }
  }

  /** No active set serves this version any more: free its sandboxes after the last call under way. */
  retire(): void {
    this.retired = true;
    if (this.inflight === 0) void this.dispose();
  }

  dispose(): Promise<void> {
    this.disposed ??= this.script.dispose().catch(this.onDisposeError);
    return this.disposed;
  }
}
