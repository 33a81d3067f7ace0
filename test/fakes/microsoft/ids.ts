import { randomBytes, randomUUID } from 'node:crypto';

/** Directory object ids, tenant ids, request ids: Microsoft uses GUIDs for all of them. */
export function guid(): string {
  return randomUUID();
}

/**
 * Exchange ids (folders, messages) are long opaque strings such as `AAMkAGI2...AAA=`; clients must
 * treat them as opaque and take them from Graph's answers, so the fake makes new random ones.
 */
export function exchangeId(prefix: 'AAMk' | 'AAkA'): string {
  return `${prefix}${randomBytes(45).toString('base64url')}AAA=`;
}

/** Skip and delta tokens: opaque, URL-safe. */
export function opaqueToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Graph's `innerError.date`: ISO 8601 without fractional seconds or zone, as Graph writes it. */
export function graphErrorDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** Entra ID's error `timestamp`: `2024-05-01 12:00:00Z`. */
export function entraTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ') + 'Z';
}

/** ISO 8601 with a `Z` and no fractional seconds, as Graph writes `receivedDateTime` and the like. */
export function graphDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
