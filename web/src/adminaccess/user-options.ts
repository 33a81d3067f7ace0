import type { Group, User } from '../shared/api/types';

export interface Option {
  value: string;
  label: string;
}

/** Users as options of a multiselect; the value is the id as text. */
export function userOptions(
  users: User[] | undefined,
  keep: Array<{ id: number; login: string; displayName: string }> = [],
): Option[] {
  const options = new Map<string, Option>();
  for (const user of users ?? []) {
    options.set(String(user.id), { value: String(user.id), label: personLabel(user) });
  }
  // Members the list does not (yet) hold stay selectable, so editing never drops them silently.
  for (const user of keep) {
    if (!options.has(String(user.id)))
      options.set(String(user.id), { value: String(user.id), label: personLabel(user) });
  }
  return [...options.values()].sort((a, b) => a.label.localeCompare(b.label));
}

export function groupOptions(
  groups: Group[] | undefined,
  keep: Array<{ id: number; name: string }> = [],
): Option[] {
  const options = new Map<string, Option>();
  for (const group of [...(groups ?? []), ...keep]) {
    if (!options.has(String(group.id)))
      options.set(String(group.id), { value: String(group.id), label: group.name });
  }
  return [...options.values()].sort((a, b) => a.label.localeCompare(b.label));
}

export function personLabel(user: { login: string; displayName: string }): string {
  return user.displayName && user.displayName !== user.login
    ? `${user.displayName} (${user.login})`
    : user.login;
}

export const toIds = (values: string[]): number[] => values.map(Number).filter(Number.isInteger);
