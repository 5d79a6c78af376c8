/**
 * Why one channel could not deliver, decided in one place per channel: a
 * short class for the alert and the logs (`http_503`, `timeout`,
 * `refused_address`, `smtp_550`…; never a message, a URL or an address, which
 * could carry credentials or the owner's private details) and whether a retry
 * can help. Permanent ones are recorded as `failed` at once and not tried again.
 */
export class DeliveryError extends Error {
  constructor(
    readonly code: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(`${code}${permanent ? ' (permanent)' : ''}`, options);
    this.name = 'DeliveryError';
  }
}

/** Anything a channel threw that it did not classify: a bug or an outage of ours, so worth a retry. */
export function asDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  return new DeliveryError('internal_error', false, { cause: error });
}
