/**
 * True when MS-ASProtocolVersion `v` (e.g. "14.1") is at least `min` ("14.0"). Unknown strings compare as 0.
 * The one protocol-version comparison: write `!atLeast(v, "14.0")` for "older than 14.0".
 */
export function atLeast(v: string, min: string): boolean {
  const [a, b] = parsed(v);
  const [c, d] = parsed(min);
  return a > c || (a === c && b >= d);
}

/**
 * Versions already split (issue 15): a Sync page asks a handful of times per item. Only the first few distinct
 * strings are kept (served versions and the code's constants), so a device's odd string cannot grow it.
 */
const known = new Map<string, readonly [number, number]>();

function parsed(v: string): readonly [number, number] {
  const hit = known.get(v);
  if (hit) return hit;
  const [a = 0, b = 0] = v.split(".").map((x) => Number(x) || 0);
  const p = [a, b] as const;
  if (known.size < 32) known.set(v, p);
  return p;
}
