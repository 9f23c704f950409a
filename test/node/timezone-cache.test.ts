// Issue 13 (every size is bounded): the time-zone caches are keyed by what devices send (TimeZone blobs, years);
// endless distinct blobs from a hostile phone must not grow the isolate's memory without bound.
import { describe, expect, it } from "vitest";
import { NO_TRANSITION } from "../../src/formats/timezone-blob";
import { TIMEZONE_CACHE_LIMIT, timeZoneCacheSizes, timeZoneForZone, zoneForTimeZone } from "../../src/formats/timezone-rule";

describe("time-zone caches", () => {
  it("hold at most TIMEZONE_CACHE_LIMIT entries however many distinct blobs and years arrive", () => {
    const n = TIMEZONE_CACHE_LIMIT + 500;
    for (let i = 0; i < n; i++) {
      // Distinct names, no daylight rule: each is a new key, resolved on the cheap path (a fixed Etc zone).
      const tz = {
        bias: 0,
        standardName: `fuzz ${i}`,
        standardDate: NO_TRANSITION,
        standardBias: 0,
        daylightName: "",
        daylightDate: NO_TRANSITION,
        daylightBias: 0,
      };
      expect(zoneForTimeZone(tz, 2026)).toBe("Etc/UTC");
      timeZoneForZone("Etc/UTC", 1000 + i);
    }
    const sizes = timeZoneCacheSizes();
    expect(sizes.zones).toBeLessThanOrEqual(TIMEZONE_CACHE_LIMIT);
    expect(sizes.rules).toBeLessThanOrEqual(TIMEZONE_CACHE_LIMIT);
    expect(sizes.zones).toBeGreaterThan(TIMEZONE_CACHE_LIMIT / 2); // still a cache
  });
});
