import type { CallerEvidence, KeyRecord, KeyStore, Owner, RevokedBy, UsageBucket } from './key-store.js';
import { KeyStoreUnavailableError } from './key-store.js';
import { KeyStoreError, type CreatedKey } from './redis-key-store.js';

/**
 * The key store over HTTP: an external key-management service that speaks the
 * JSON contract of docs/KEY_STORE_API.md (this project's own server does), so
 * a deployment can point the detector at NeevCloud's production store.
 * Network failures, timeouts and 5xx answers are KeyStoreUnavailableError
 * (retry), never "no such key".
 */
export class HttpKeyStore implements KeyStore {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs = 5000,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  async findByHash(sha256: string): Promise<KeyRecord | null> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return null;
    return this.request<KeyRecord>('GET', `/api/v1/keys/by-hash/${sha256}`);
  }

  async revoke(id: string, revocation: { reason: string; by: RevokedBy }): Promise<KeyRecord | null> {
    return this.request<KeyRecord>('POST', `/api/v1/keys/${encodeURIComponent(id)}/revoke`, {
      reason: revocation.reason,
      revokedBy: revocation.by,
    });
  }

  /** The store's gateway check in probe mode (docs/KEY_STORE_API.md, "prove a revocation"). */
  async authenticatesByHash(sha256: string): Promise<boolean> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return false;
    const answer = await this.request<{ authenticates?: unknown }>('POST', '/api/v1/authenticate/probe', { sha256 });
    if (typeof answer?.authenticates !== 'boolean')
      throw new KeyStoreUnavailableError(`key store at ${this.base}: no answer to the authenticate probe`);
    return answer.authenticates;
  }

  async getOwner(id: string): Promise<(Owner & { webhookSecret: string | null }) | null> {
    const owner = await this.request<Owner & { webhookSecret?: string | null }>('GET', `/api/v1/owners/${encodeURIComponent(id)}`);
    return owner ? { ...owner, webhookSecret: owner.webhookSecret ?? null } : null;
  }

  async usageSince(id: string, since: Date): Promise<UsageBucket[]> {
    const answer = await this.request<{ buckets: UsageBucket[] }>(
      'GET',
      `/api/v1/keys/${encodeURIComponent(id)}/usage?since=${encodeURIComponent(since.toISOString())}`,
    );
    return answer?.buckets ?? [];
  }

  /** Null when the store keeps no caller summaries (an external store without the endpoint answers 404). */
  async callerEvidence(id: string, since: Date, until: Date): Promise<CallerEvidence | null> {
    const query = `since=${encodeURIComponent(since.toISOString())}&until=${encodeURIComponent(until.toISOString())}`;
    return this.request<CallerEvidence>('GET', `/api/v1/keys/${encodeURIComponent(id)}/callers?${query}`);
  }

  // ---- administration, for the CLI's --server mode

  async createOwner(input: { name: string; email?: string; webhookUrl?: string }): Promise<Owner & { webhookSecret: string | null }> {
    return (await this.request('POST', '/api/v1/owners', input))!;
  }

  async listOwners(): Promise<Owner[]> {
    return (await this.request<{ owners: Owner[] }>('GET', '/api/v1/owners'))!.owners;
  }

  async createKey(input: { ownerId: string; name: string; canary?: { label: string } }): Promise<CreatedKey> {
    const body = {
      ownerId: input.ownerId,
      name: input.name,
      ...(input.canary ? { canary: true, ...(input.canary.label ? { canaryLabel: input.canary.label } : {}) } : {}),
    };
    const answer = await this.request<KeyRecord & { key: string }>('POST', '/api/v1/keys', body);
    if (!answer) throw new KeyStoreError(`no owner ${input.ownerId}`, 404, 'owner_not_found');
    return split(answer);
  }

  async listKeys(ownerId: string): Promise<KeyRecord[]> {
    const answer = await this.request<{ keys: KeyRecord[] }>('GET', `/api/v1/keys?ownerId=${encodeURIComponent(ownerId)}`);
    if (!answer) throw new KeyStoreError(`no owner ${ownerId}`, 404, 'owner_not_found');
    return answer.keys;
  }

  async rotateKey(id: string, graceSeconds?: number): Promise<CreatedKey | null> {
    const answer = await this.request<KeyRecord & { key: string }>(
      'POST',
      `/api/v1/keys/${encodeURIComponent(id)}/rotate`,
      graceSeconds === undefined ? {} : { graceSeconds },
    );
    return answer ? split(answer) : null;
  }

  async replaceKey(id: string): Promise<CreatedKey | null> {
    const answer = await this.request<KeyRecord & { key: string }>('POST', `/api/v1/keys/${encodeURIComponent(id)}/replace`, {});
    return answer ? split(answer) : null;
  }

  /** null for 404; KeyStoreError for 409; KeyStoreUnavailableError for what may pass; Error for the rest. */
  private async request<T>(method: string, path: string, body?: unknown): Promise<T | null> {
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      throw new KeyStoreUnavailableError(`key store at ${this.base} unreachable: ${(error as Error).message}`, { cause: error });
    }
    if (response.status === 404) return null;
    const text = await response.text();
    const parsed = text ? safeJson(text) : undefined;
    if (response.ok) return parsed as T;
    const message = (parsed as { error?: { message?: string } } | undefined)?.error?.message ?? `HTTP ${response.status}`;
    if (response.status === 409) {
      const error = (parsed as { error?: { code?: string; keyId?: string } } | undefined)?.error;
      throw new KeyStoreError(message, 409, error?.code ?? 'conflict', error?.keyId);
    }
    if (response.status >= 500 || response.status === 429) throw new KeyStoreUnavailableError(`key store at ${this.base}: ${message}`);
    throw new Error(`key store at ${this.base} refused ${method} ${path.split('?')[0]}: ${message}`);
  }
}

function split(answer: KeyRecord & { key: string }): CreatedKey {
  const { key, ...rest } = answer;
  return { key, record: rest as KeyRecord };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
