// Availability of this mailbox for another user's ResolveRecipients ([MS-ASCMD] 2.2.3.16 Availability): the
// events of the default calendar that overlap a window, merged into 30-minute MergedFreeBusy digits.
import { busyIntervals, mergedFreeBusy } from "../formats/free-busy";
import type { PimStore } from "../store/pim-types";
import { FolderType } from "../store/types";

/** Events examined per request: a calendar's cost is bounded. */
const MAX_EVENTS = 5000;
const PAGE = 500;

/** MergedFreeBusy of the default calendar over [from, to); null when the mailbox has no calendar. */
export async function calendarFreeBusy(pim: PimStore, from: number, to: number, defaultZone: string): Promise<string | null> {
  const calendar = (await pim.listCollections()).find((f) => f.type === FolderType.Calendar);
  if (!calendar) return null;
  const intervals = [];
  let after: { received: number; itemId: string } | undefined;
  // Stamps by horizon (an event's last end), newest first, only those ending after `from`.
  for (let seen = 0; seen < MAX_EVENTS; seen += PAGE) {
    const stamps = await pim.stamps(calendar.id, { since: from, after, limit: PAGE });
    for (const s of stamps) {
      const item = await pim.get(calendar.id, s.itemId);
      if (item) intervals.push(...busyIntervals(item.data, from, to, defaultZone));
    }
    if (stamps.length < PAGE) break;
    const last = stamps[stamps.length - 1]!;
    after = { received: last.received, itemId: last.itemId };
  }
  return mergedFreeBusy(intervals, from, to);
}
