import { createTransport } from 'nodemailer';
import { DeliveryError } from './delivery-error.js';
import type { RenderedMail } from './render-email.js';

/** Sends one mail; throws DeliveryError (permanent when the server refused it for good). */
export interface Mailer {
  send(message: RenderedMail & { to: string; messageId: string }): Promise<void>;
}

/**
 * Mail over SMTP_URL (a nodemailer connection URL: `smtp://user:pass@host:587`,
 * `smtps://…:465`, options as query parameters such as `?ignoreTLS=true`).
 * Timeouts are short so one attempt stays well inside a delivery claim
 * (delivery-state.ts); nodemailer's defaults wait minutes.
 */
export function smtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = createTransport({
    url: smtpUrl,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    dnsTimeout: 10_000,
  });
  const domain = mailDomain(from);
  return {
    async send(message) {
      try {
        await transport.sendMail({
          from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          // Stable per notice and channel: a mail sent twice (the retry window after a crash) carries one Message-ID, which many mail systems fold into one.
          messageId: `<${message.messageId}@${domain}>`,
          headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
        });
      } catch (error) {
        throw smtpError(error);
      }
    },
  };
}

/** The domain of the From address, for Message-IDs. */
export function mailDomain(from: string): string {
  const at = from.lastIndexOf('@');
  if (at === -1) return 'neevscan.invalid';
  let domain = from.slice(at + 1);
  const close = domain.indexOf('>');
  if (close !== -1) domain = domain.slice(0, close);
  return domain.trim() || 'neevscan.invalid';
}

/**
 * RFC 5321: 5xx is a permanent refusal (an unknown mailbox), 4xx a transient
 * one; nodemailer marks which (`permanent`). Connection and authentication
 * failures carry no reply code and are retried: they are ours to fix, not
 * the owner's address.
 */
function smtpError(error: unknown): DeliveryError {
  const e = error as { code?: string; responseCode?: number; permanent?: boolean };
  if (typeof e.responseCode === 'number') {
    const permanent = e.permanent ?? (e.responseCode >= 500 && e.responseCode !== 503);
    return new DeliveryError(`smtp_${e.responseCode}`, permanent, { cause: error });
  }
  if (e.code === 'EAUTH') return new DeliveryError('smtp_auth', false, { cause: error });
  if (e.code === 'ETIMEDOUT') return new DeliveryError('smtp_timeout', false, { cause: error });
  if (e.code === 'EENVELOPE') return new DeliveryError('smtp_bad_address', true, { cause: error });
  return new DeliveryError('smtp_unreachable', false, { cause: error });
}
