/** The numeric id in a route parameter ("/users/4" → 4); NaN for anything else ("4x", "-1", "1.5", ""). */
export function routeId(value: string | undefined): number {
  return value !== undefined && /^[1-9][0-9]{0,15}$/.test(value) ? Number(value) : Number.NaN;
}
