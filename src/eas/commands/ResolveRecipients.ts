// ResolveRecipients ([MS-ASCMD] 2.2.1.15): each To (a name or an address) resolved against the caller's domain
// address book (Type 1) and the user's own contacts (Type 2), with Availability (14.0+) from the calendars of
// mailboxes of the domain, Picture (14.1+) and Certificates (none are kept: Status 7).
import { child, childrenNamed, childText, el, text, type WbxmlElement } from "../../wbxml/index";
import { parseEasDate } from "../../formats/eas-dates";
import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import type { GalEntry } from "../../mailbox/contract";
import { parsePicture, pictures } from "./Search";
import { SearchParseError } from "../front/search-request";

const rr = (name: string, ...c: Parameters<typeof el>[2][]) => el("ResolveRecipients", name, ...c);

/** Top-level Status ([MS-ASCMD] 2.2.3.177.12): 1 success, 5 protocol error. */
const Status = { Success: 1, ProtocolError: 5 } as const;
/** Response Status: 1 one recipient, 2 ambiguous (all suggestions), 3 ambiguous (some of them), 4 none. */
const ResponseStatus = { Resolved: 1, Ambiguous: 2, AmbiguousPartial: 3, NotFound: 4 } as const;
/** Availability Status: 1 success, 160 too many recipients, 163 no free/busy data for this recipient. */
const AvailabilityStatus = { Success: 1, TooManyRecipients: 160, NoData: 163 } as const;
/** Certificates Status 7: the recipient has no valid S/MIME certificate (this service keeps none). */
const NO_CERTIFICATE = 7;

/** At most this many To elements ([MS-ASCMD] 2.2.3.186.1: "up to 100"). */
const MAX_TO = 100;
/** MaxAmbiguousRecipients when the request does not say (Exchange's default), and its upper bound. */
const DEFAULT_AMBIGUOUS = 19;
const MAX_AMBIGUOUS = 100;
/** Availability: at most 20 recipients per request ([MS-ASCMD] Status 160) and a window of 42 days (2 016 slots). */
const MAX_AVAILABILITY_RECIPIENTS = 20;
const MAX_AVAILABILITY_MS = 42 * 86_400_000;

interface Candidate {
  type: 1 | 2;
  displayName: string;
  address: string;
  gal?: GalEntry;
}

class Bad extends Error {}

interface Parsed {
  to: string[];
  maxAmbiguous: number;
  certificates: boolean;
  availability?: { start: number; end: number };
  picture?: { maxSize?: number; maxPictures?: number };
}

function parse(body: WbxmlElement | null, protocolVersion: string): Parsed {
  if (body?.name !== "ResolveRecipients") throw new Bad();
  const to = childrenNamed(body, "To", "ResolveRecipients").map((t) => (text(t) ?? "").trim());
  if (to.length === 0 || to.length > MAX_TO || to.some((t) => !t || t.length > 256)) throw new Bad();
  const options = child(body, "Options", "ResolveRecipients");
  const num = (name: string, max: number) => {
    const v = childText(options, name, "ResolveRecipients")?.trim();
    if (v === undefined) return undefined;
    if (!/^[0-9]{1,6}$/.test(v) || Number(v) > max) throw new Bad();
    return Number(v);
  };
  const retrieval = num("CertificateRetrieval", 3);
  const out: Parsed = {
    to,
    maxAmbiguous: num("MaxAmbiguousRecipients", 9999) ?? DEFAULT_AMBIGUOUS,
    certificates: retrieval === 2 || retrieval === 3,
  };
  out.maxAmbiguous = Math.min(out.maxAmbiguous, MAX_AMBIGUOUS);
  const avail = child(options, "Availability", "ResolveRecipients");
  if (avail && Number.parseFloat(protocolVersion) >= 14) {
    try {
      const start = parseEasDate(childText(avail, "StartTime", "ResolveRecipients") ?? "");
      const end = parseEasDate(childText(avail, "EndTime", "ResolveRecipients") ?? "");
      // MS-ASCMD_R2266, R5175: at least 30 minutes, at most 42 days, else Status 5.
      if (end < start + 30 * 60_000 || end - start > MAX_AVAILABILITY_MS) throw new Bad();
      out.availability = { start, end };
    } catch {
      throw new Bad();
    }
  }
  try {
    out.picture = parsePicture(options, "ResolveRecipients");
  } catch (e) {
    if (e instanceof SearchParseError) throw new Bad();
    throw e;
  }
  return out;
}

/** GAL first (Type 1), then the user's contacts (Type 2) not already listed; an exact address wins alone. */
async function candidates(req: EasRequest, to: string, limit: number): Promise<{ total: number; list: Candidate[] }> {
  const gal = req.gal ? await req.gal.search(to, 0, limit) : { total: 0, entries: [] };
  const contacts = await req.mailbox.findContacts(to, limit);
  const list: Candidate[] = gal.entries.map((g) => ({ type: 1, displayName: g.displayName, address: g.address, gal: g }));
  const inGal = new Set(gal.entries.map((g) => g.address.toLowerCase()));
  let dupes = 0;
  for (const c of contacts.matches) {
    if (inGal.has(c.address.toLowerCase())) dupes++;
    else list.push({ type: 2, displayName: c.displayName, address: c.address });
  }
  const total = gal.total + contacts.total - dupes;
  const exact = list.filter((c) => c.address.toLowerCase() === to.toLowerCase());
  if (exact.length > 0) return { total: 1, list: [exact[0]!] };
  return { total, list };
}

export const ResolveRecipientsCommand: EasCommand = {
  name: "ResolveRecipients",
  async handle(req: EasRequest): Promise<EasResponse> {
    let p: Parsed;
    try {
      p = parse(req.body, req.protocolVersion);
    } catch (e) {
      if (e instanceof Bad) return { kind: "wbxml", body: rr("ResolveRecipients", rr("Status", Status.ProtocolError)) };
      throw e;
    }
    const responses: WbxmlElement[] = [];
    let availabilityAsked = 0;
    for (const to of p.to) {
      const found = await candidates(req, to, p.maxAmbiguous);
      const shown = found.list.slice(0, p.maxAmbiguous);
      const status =
        found.total === 0
          ? ResponseStatus.NotFound
          : found.total === 1
            ? ResponseStatus.Resolved
            : found.total <= shown.length
              ? ResponseStatus.Ambiguous
              : ResponseStatus.AmbiguousPartial;
      const pics = pictures(
        shown.map((c) => c.gal ?? { address: c.address, displayName: c.displayName, mailbox: false }),
        p.picture,
      );
      const recipients: WbxmlElement[] = [];
      for (const [i, c] of shown.entries()) {
        let availability: WbxmlElement | null = null;
        // MS-ASCMD_R4623: an ambiguous To gets no free/busy (the phone asks again with the address it picks).
        if (p.availability && status === ResponseStatus.Resolved) {
          availabilityAsked++;
          const merged =
            availabilityAsked > MAX_AVAILABILITY_RECIPIENTS
              ? AvailabilityStatus.TooManyRecipients
              : c.gal?.mailbox && req.availability
                ? await req.availability(c.address, p.availability.start, p.availability.end)
                : null;
          availability =
            typeof merged === "string"
              ? rr("Availability", rr("Status", AvailabilityStatus.Success), rr("MergedFreeBusy", merged))
              : rr("Availability", rr("Status", merged ?? AvailabilityStatus.NoData));
        }
        const pic = pics[i];
        recipients.push(
          rr(
            "Recipient",
            rr("Type", c.type),
            rr("DisplayName", c.displayName),
            rr("EmailAddress", c.address),
            availability,
            p.certificates && rr("Certificates", rr("Status", NO_CERTIFICATE), rr("CertificateCount", 0)),
            pic && rr("Picture", rr("Status", pic.status), pic.data ? rr("Data", pic.data) : null),
          ),
        );
      }
      responses.push(rr("Response", rr("To", to), rr("Status", status), rr("RecipientCount", recipients.length), ...recipients));
    }
    return { kind: "wbxml", body: rr("ResolveRecipients", rr("Status", Status.Success), ...responses) };
  },
};
