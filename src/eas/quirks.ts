// Device quirks: what the server does differently for some clients, in one place. Each entry names the clients
// (by DeviceType, User-Agent and protocol version), the behaviour, where it was learned (a spec note, a public
// tracker, another server's code — read, never copied) and the test that proves it. The front door, the PIM
// conversions and the admin API all ask this table; nothing else sniffs user agents.
import type { DeviceFamily } from "./pim/contact-dates";
import { atLeast } from "./protocol-version";

/** What identifies a client: the query's DeviceType, the User-Agent header, the protocol version it speaks. */
export interface ClientFacts {
  deviceType?: string | null;
  userAgent?: string | null;
  protocolVersion?: string | null;
}

/** What a quirk changes; the callers read only these fields. */
export interface QuirkEffects {
  /** Sync responses name each collection's Class (first child of Collection), as the request did. */
  classInSyncResponse?: boolean;
  /** Waits (Ping, hanging Sync) end with "no changes" after at most this many seconds. */
  maxWaitSeconds?: number;
  /** FolderSync offers only the default calendar, contacts, tasks and notes folders (no user-created ones). */
  defaultPimFoldersOnly?: boolean;
  /** Contact conventions of this client family (birthdays, empty Picture): see src/eas/pim/contact-dates.ts. */
  contactFamily?: DeviceFamily;
}

export interface Quirk {
  id: string;
  /** Which clients, in words (shown by the admin API). */
  clients: string;
  /** What the server does for them. */
  behaviour: string;
  /** Where it was learned. */
  source: string;
  /** The test that proves it. */
  test: string;
  applies(c: ClientFacts): boolean;
  effects: QuirkEffects;
}

const text = (c: ClientFacts) => `${c.deviceType ?? ""} ${c.userAgent ?? ""}`.toLowerCase();
const ua = (c: ClientFacts) => (c.userAgent ?? "").toLowerCase();
const type = (c: ClientFacts) => (c.deviceType ?? "").toLowerCase();

/** Windows Mobile / Pocket PC / Windows CE Smartphone: "MSFT-PPC/5.2.…", "MSFT-SPhone/…", "MSFT-WM/…", DeviceType PocketPC/SmartPhone/WM… */
export function isWindowsMobile(c: ClientFacts): boolean {
  return /msft-(ppc|sphone|wm)\//.test(ua(c)) || /^(pocketpc|smartphone|windowsmobile|wm\d|ppc)/.test(type(c));
}
/** Palm OS Treos (VersaMail) and Palm's Windows Mobile Treos: DeviceType "Palm…"/"Treo…", User-Agent "Palm…"/"VersaMail…". */
export function isPalm(c: ClientFacts): boolean {
  return /^(palm|treo)/.test(type(c)) || /palm|versamail|treo/.test(ua(c));
}
/** Samsung's own mail client (not Gmail on a Samsung): DeviceType "SAMSUNG…"/"SM-…", User-Agent "SAMSUNG-…"/"Android-SAMSUNG-…". */
export function isSamsungNative(c: ClientFacts): boolean {
  return /^(samsung|sm-|gt-)/.test(type(c)) || /(^|android-)samsung/.test(ua(c));
}
const isIos = (c: ClientFacts) => /iphone|ipad|ipod|apple|ios\//.test(text(c));
const isAndroid = (c: ClientFacts) => /android|samsung|sm-/.test(text(c));

export const QUIRKS: readonly Quirk[] = [
  {
    id: "class-in-sync-response",
    clients: "Windows Mobile 6.x and every 2.5 phone (Windows Mobile 5, Palm, Nokia), below protocol 12.1",
    behaviour:
      "each Collection of a Sync response starts with the Class the request gave for it, as Exchange 2003 and 2007 sent it to these clients",
    // Z-Push lib/request/sync.php ("AS 12.0 devices require content class", sent when version < 12.1) and Horde
    // Request/Sync.php (Class "not sent in > 12.0") both do it; [MS-ASCMD] 2.2.3.29.2 lists Class in the Sync
    // response for 2.5, 12.0 and 12.1. The kit's SyncResponse.xsd does not allow it (README "Known XSD quirks").
    source: "Z-Push sync.php, Horde_ActiveSync Request/Sync.php, [MS-ASCMD] 2.2.3.29.2",
    test: "test/workers/eas25-quirks.test.ts",
    applies: (c) => !!c.protocolVersion && !atLeast(c.protocolVersion, "12.1") && (isWindowsMobile(c) || c.protocolVersion === "2.5"),
    effects: { classInSyncResponse: true },
  },
  {
    id: "short-request-timeout",
    clients: "Samsung's native Email client",
    behaviour: "Ping and hanging Sync end with 'no changes' after 85 s: the client abandons a request after about 90 s",
    // Z-Push request.php: the Samsung class of clients gets an 85 s answer budget ("90 s HTTP timeout"); anchors §3 row 17.
    source: "Z-Push lib/request/request.php (Samsung 90 s timeout), ../shared/notes/anchors.md §3 row 17",
    test: "test/workers/eas25-quirks.test.ts",
    applies: isSamsungNative,
    effects: { maxWaitSeconds: 85 },
  },
  {
    id: "default-pim-folders-only",
    clients: "Palm Treo (VersaMail) and Windows Mobile Pocket PC",
    behaviour:
      "FolderSync offers the default Calendar, Contacts, Tasks and Notes only, never user-created PIM folders (the Treo syncs the default ones whether offered or not and cannot tell others apart)",
    // Horde Device.php _sniffMultiplex: "PocketPC versions seem to not support any user defined collections at
    // all"; issue 14 ("old Treos sync calendar and contacts even when not offered").
    source: "Horde_ActiveSync Device.php (_sniffMultiplex, PocketPC), issue 14",
    test: "test/workers/eas25-quirks.test.ts",
    applies: (c) => isPalm(c) || (isWindowsMobile(c) && /ppc|pocketpc/.test(text(c))),
    effects: { defaultPimFoldersOnly: true },
  },
  {
    id: "ios-contacts",
    clients: "iOS Mail (Apple-iPhone…, iOS/…, DeviceType iPhone/iPad)",
    behaviour: "an empty contacts:Picture on a Change keeps the stored photo (iOS sends one on every edit); birthdays are local midnight",
    source: "Horde_ActiveSync Device.php QUIRK_INCORRECTLY_SENDS_EMPTY_PICTURE_TAG, anchors §3 row 15",
    test: "test/workers/eas25-quirks.test.ts, test/workers/pim-contacts.test.ts",
    applies: isIos,
    effects: { contactFamily: "ios" },
  },
  {
    id: "android-contacts",
    clients: "Android (Gmail, AOSP Email, Samsung Email)",
    behaviour: "birthdays and anniversaries travel as 08:00 UTC of the day",
    source: "anchors §3 (per-client birthday normalisation, Horde DeviceTest), src/eas/pim/contact-dates.ts",
    test: "test/workers/eas25-quirks.test.ts, test/workers/pim-contacts.test.ts",
    applies: (c) => !isIos(c) && isAndroid(c),
    effects: { contactFamily: "android" },
  },
];

/** The quirks a client gets, in table order. */
export function quirksFor(c: ClientFacts): Quirk[] {
  return QUIRKS.filter((q) => q.applies(c));
}

/** The merged effects of every quirk a client gets. */
export function quirkEffects(c: ClientFacts): QuirkEffects {
  return Object.assign({}, ...quirksFor(c).map((q) => q.effects));
}

/** The client family the contact conversions follow (birthdays, Picture); "other" when none applies. */
export function contactFamily(c: ClientFacts | undefined): DeviceFamily {
  if (!c) return "other";
  const family = quirkEffects(c).contactFamily;
  if (family) return family;
  const s = text(c);
  if (/blackberry|bb10/.test(s)) return "blackberry";
  if (/outlook/.test(s)) return "outlook";
  return "other";
}
