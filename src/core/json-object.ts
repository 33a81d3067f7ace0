/**
 * A JSON object stored as text, read for display: a damaged or tampered value must not break the
 * page someone uses to find out what went wrong, so it comes back as `{ unreadable: text }`.
 */
export function parseStoredObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // fall through
  }
  return { unreadable: text };
}
