import type { TFunction } from 'i18next';

/** Shapes both consoles share (src/http/routes/sending.schemas.ts). */
export type Encryption = 'none' | 'starttls' | 'tls';
export const ENCRYPTIONS: readonly Encryption[] = ['none', 'starttls', 'tls'];

export type UnavailableReason = 'SYSTEM_SENDING_OFF' | 'SYSTEM_SERVER_NOT_ALLOWED' | 'NOT_CONFIGURED';

/** How a tenant's mail leaves now, or why it cannot. */
export type SendingRoute =
  | { available: true; via: 'tenant' | 'system'; kind: 'smtp' | 'microsoft365' }
  | { available: false; reason: UnavailableReason };

/** What the system administrator allows a tenant. */
export interface MailPolicy {
  mayUseSystemServer: boolean;
  mayConfigureOwn: boolean;
}

/**
 * "Send test mail": the peer's reply, or the failure in detail. `transport` is `<via>-<kind>`
 * (e.g. "system-smtp"); a failure's `detail` is the SMTP reply, the Graph error, or a reason code.
 */
export type TestMailResult =
  | { sent: true; transport: string; response: string }
  | { sent: false; transport: string | null; error: string; detail: string };

export const isUnavailableReason = (value: unknown): value is UnavailableReason =>
  value === 'SYSTEM_SENDING_OFF' || value === 'SYSTEM_SERVER_NOT_ALLOWED' || value === 'NOT_CONFIGURED';

export function encryptionLabel(t: TFunction, encryption: Encryption): string {
  switch (encryption) {
    case 'none':
      return t('sending.encryption.none');
    case 'starttls':
      return t('sending.encryption.starttls');
    case 'tls':
      return t('sending.encryption.tls');
  }
}

/** Why no mail can be sent, in a sentence (a tenant's view; the System console words its own). */
export function unavailableReasonText(t: TFunction, reason: string): string {
  switch (reason) {
    case 'SYSTEM_SENDING_OFF':
      return t('sending.reason.SYSTEM_SENDING_OFF');
    case 'SYSTEM_SERVER_NOT_ALLOWED':
      return t('sending.reason.SYSTEM_SERVER_NOT_ALLOWED');
    case 'NOT_CONFIGURED':
      return t('sending.reason.NOT_CONFIGURED');
    default:
      return t('sending.reason.unknown', { reason });
  }
}

/** The way a test mail went ("system-smtp" → "the system's mail server (SMTP)"). */
export function transportLabel(t: TFunction, transport: string): string {
  switch (transport) {
    case 'system-smtp':
      return t('sending.transport.systemSmtp');
    case 'system-microsoft365':
      return t('sending.transport.systemMicrosoft365');
    case 'tenant-smtp':
      return t('sending.transport.tenantSmtp');
    case 'tenant-microsoft365':
      return t('sending.transport.tenantMicrosoft365');
    default:
      return transport;
  }
}

// Loose, as the server's check: it catches typing mistakes and allows UTF-8 addresses (RFC 6531).
const ADDRESS = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/u;
export const looksLikeAddress = (value: string) => ADDRESS.test(value.trim());
