import { Injectable } from '@nestjs/common';

export type ReadinessCheck = () => boolean;

/** Named readiness conditions; `/readyz` is true when all of them are. */
@Injectable()
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  report(): { ready: boolean; checks: Record<string, boolean> } {
    const checks = Object.fromEntries([...this.checks].map(([name, check]) => [name, check()]));
    return { ready: Object.values(checks).every(Boolean), checks };
  }
}
