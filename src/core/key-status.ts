/** A key's state in the key store, as alerts record it. This module imports nothing of the project. */
export type KeyStatus = 'active' | 'revoked' | 'expired';
