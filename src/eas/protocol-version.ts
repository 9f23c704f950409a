/**
 * True when MS-ASProtocolVersion `v` (e.g. "14.1") is at least `min` ("14.0"). Unknown strings compare as 0.
 * The one protocol-version comparison: write `!atLeast(v, "14.0")` for "older than 14.0".
 */
export function atLeast(v: string, min: string): boolean {
  const [a = 0, b = 0] = v.split(".").map((x) => Number(x) || 0);
  const [c = 0, d = 0] = min.split(".").map(Number);
  return a > c! || (a === c && b >= d!);
}
