import { isApiError } from '../shared/api/client';

/** The server refused the current password (400 on the field `currentPassword`). */
export function isWrongCurrentPassword(error: unknown): boolean {
  return (
    isApiError(error, 'VALIDATION') &&
    error.issues.some(
      (issue) => (Array.isArray(issue.path) ? issue.path.join('.') : issue.path) === 'currentPassword',
    )
  );
}
