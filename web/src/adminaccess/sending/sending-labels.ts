import type { TFunction } from 'i18next';
import { unavailableReasonText } from '../../shared/sending/sending';
import type { TenantSending, TenantSendingType } from './sending.api';

export function sendingTypeLabel(t: TFunction, type: TenantSendingType): string {
  switch (type) {
    case 'none':
      return t('sending.type.none');
    case 'smtp':
      return t('sending.type.smtp');
    case 'microsoft365':
      return t('sending.type.microsoft365');
  }
}

/** How mail leaves now, in a sentence: through what, or why it cannot. */
export function routeText(t: TFunction, sending: TenantSending): string {
  const { route } = sending;
  if (!route.available) return unavailableReasonText(t, route.reason);
  if (route.via === 'system') return t('sending.route.system');
  return route.kind === 'smtp'
    ? t('sending.route.tenantSmtp', { host: sending.smtp.host })
    : t('sending.route.tenantMicrosoft365', { address: sending.microsoft365.senderAddress });
}

/** What the tenant's own configuration still lacks (the server's rule for "complete"), as field labels. */
export function ownMissing(t: TFunction, sending: TenantSending): string[] {
  const missing: string[] = [];
  if (sending.type === 'smtp') {
    if (!sending.smtp.host) missing.push(t('sending.host'));
    if (!sending.senderAddress) missing.push(t('sending.senderAddress'));
    if (sending.smtp.username && !sending.smtp.passwordSet) missing.push(t('sending.password'));
  } else if (sending.type === 'microsoft365') {
    if (!sending.microsoft365.tenantId) missing.push(t('sending.tenantId'));
    if (!sending.microsoft365.senderId) missing.push(t('sending.microsoft365Sender'));
  }
  return missing;
}

/** Why the tenant's own configuration is not the way mail leaves, when it is set but not used. */
export function ownUnusedText(t: TFunction, sending: TenantSending): string | null {
  if (sending.type === 'none') return null;
  if (sending.route.available && sending.route.via === 'tenant') return null;
  const type = sendingTypeLabel(t, sending.type);
  if (!sending.policy.mayConfigureOwn) return t('sending.route.ownNotAllowed', { type });
  if (sending.type === 'microsoft365' && !sending.microsoft365.available)
    return t('sending.route.ownMicrosoft365Unavailable');
  const missing = ownMissing(t, sending);
  if (missing.length > 0) return t('sending.route.ownIncomplete', { type, fields: missing.join(', ') });
  return null;
}
