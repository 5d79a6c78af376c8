import type { Exposure } from '../core/exposure.js';
import { handleExposure, type HandleExposureDeps } from '../pipeline/handle-exposure.js';
import type { OnCanary } from './routes/keys.js';

/** The same caller presenting the same canary again within this long raises nothing new (its place is already on the alert). */
const REPEAT_MS = 60_000;
const REMEMBERED = 10_000;

/**
 * A canary presented to authenticate becomes an alert, as a key found in a new place does: the place is the caller
 * (address, user agent, endpoint as the gateway reported them). The canary is never revoked (handle-exposure.ts), the
 * owner and the security team are told. Runs after the 401 is sent; a failure is logged, never shown to the caller.
 */
export function canaryAlerts(deps: HandleExposureDeps, log: (message: string) => void): OnCanary {
  const recent = new Map<string, number>();
  return ({ secretSha256, hint, keyId, caller, at }) => {
    const seen = [keyId, caller?.clientIp ?? '', caller?.userAgent ?? '', caller?.endpoint ?? ''].join('\n');
    const last = recent.get(seen);
    if (last !== undefined && at.getTime() - last < REPEAT_MS) return;
    // A flood of distinct callers must not grow this without bound: forgetting only means an idempotent write again.
    if (recent.size >= REMEMBERED) recent.clear();
    recent.set(seen, at.getTime());
    const when = at.toISOString();
    const exposure: Exposure = {
      secretSha256,
      redacted: hint,
      ruleId: 'neevcloud-api-key',
      location: {
        source: 'canary-use',
        repo: null,
        path: null,
        line: null,
        commit: null,
        url: null,
        seenAt: when,
        caller: { clientIp: caller?.clientIp ?? null, userAgent: caller?.userAgent ?? null, endpoint: caller?.endpoint ?? null },
      },
      public: false,
      pushedAt: when,
      receivedAt: when,
    };
    handleExposure(deps, exposure).catch((error: unknown) => log(`canary ${keyId}: alert not recorded: ${(error as Error).message}`));
  };
}
