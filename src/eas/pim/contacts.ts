// vCard (stored, 3.0 or 4.0) <-> EAS Contacts and Contacts2 ([MS-ASCNTC]). A Change only touches the
// vCard properties an EAS field maps to; everything EAS cannot carry (a third work phone, custom labels,
// extra e-mails, group items, X- properties) stays in the stored card, and ghosted fields are kept.
import { child, childrenNamed, el, text as textOf } from "../../wbxml/tree";
import type { WbxmlElement } from "../../wbxml/types";
import { bodyFromEas, bodyToEas } from "./body";
import { categoriesFromEas, categoriesToEas } from "./categories";
import { contactDateFromEas, contactDateToEas, formatVcardDate, parseVcardDate, type DeviceFamily } from "./contact-dates";
import { PimConversionError } from "../../formats/errors";
import { ICAL, parseComponent } from "../../formats/ical-util";

export interface ContactContext {
  version: number;
  deviceFamily?: DeviceFamily;
  /** The device's zone when known (iOS sends birthdays as local midnight). */
  deviceZone?: string;
  /** Contacts/Contacts2 element names the device manages ([MS-ASCMD] 2.2.3.179); undefined = none ghosted. */
  supported?: ReadonlySet<string>;
  truncationSize?: number;
  newUid?: () => string;
}

/** [MS-ASCNTC] R381/R384: at most 48 KB of base64 text, else Status 6. */
export const MAX_PICTURE_BASE64 = 48 * 1024;

type Ns = "Contacts" | "Contacts2";
interface Field {
  ns: Ns;
  name: string;
}

// ---------------------------------------------------------------- card access

function parseCard(vcf: string): ICAL.Component {
  return parseComponent(vcf, "vcard");
}

function cardVersion(card: ICAL.Component): "3.0" | "4.0" {
  return String(card.getFirstPropertyValue("version") ?? "4.0").startsWith("3") ? "3.0" : "4.0";
}

function types(p: ICAL.Property): Set<string> {
  const t = p.getParameter("type");
  const list = Array.isArray(t) ? t : typeof t === "string" ? t.split(",") : [];
  return new Set(list.map((x) => String(x).trim().toLowerCase()));
}

function stringValue(p: ICAL.Property | undefined): string {
  if (!p) return "";
  const v = p.getFirstValue();
  return v === null || v === undefined ? "" : String(v);
}

function addProp(card: ICAL.Component, name: string, value: string | string[], typeList?: string[], valueType?: string): ICAL.Property {
  const p = new ICAL.Property(name, card);
  if (typeList?.length) p.setParameter("type", typeList.length === 1 ? typeList[0] : typeList);
  if (valueType) p.resetType(valueType);
  p.setValue(value as string);
  card.addProperty(p);
  return p;
}

// ---------------------------------------------------------------- slots of typed, repeatable properties

type TelKind =
  | "work"
  | "home"
  | "mobile"
  | "workfax"
  | "homefax"
  | "pager"
  | "car"
  | "radio"
  | "mms"
  | "assistant"
  | "companymain"
  | "unmapped";

function telKind(p: ICAL.Property): TelKind {
  const t = types(p);
  if (t.has("fax")) return t.has("work") ? "workfax" : t.has("home") ? "homefax" : "unmapped";
  if (t.has("cell")) return "mobile";
  if (t.has("pager")) return "pager";
  if (t.has("car")) return "car";
  if (t.has("x-radio")) return "radio";
  if (t.has("x-mms")) return "mms";
  if (t.has("x-assistant")) return "assistant";
  if (t.has("x-company-main")) return "companymain";
  if (t.has("work")) return "work";
  if (t.has("home")) return "home";
  return "unmapped";
}

interface Slot extends Field {
  prop: string;
  /** The property holding this field in `card`, chosen before any edit. */
  find(card: ICAL.Component): ICAL.Property | undefined;
  newTypes?: string[];
}

function telSlot(ns: Ns, name: string, kind: TelKind, index: number, newTypes: string[]): Slot {
  return { ns, name, prop: "tel", newTypes, find: (card) => card.getAllProperties("tel").filter((p) => telKind(p) === kind)[index] };
}

function nthSlot(ns: Ns, name: string, prop: string, index: number): Slot {
  return { ns, name, prop, find: (card) => card.getAllProperties(prop)[index] };
}

function relatedSlot(ns: Ns, name: string, type: string): Slot {
  return { ns, name, prop: "related", newTypes: [type], find: (card) => card.getAllProperties("related").find((p) => types(p).has(type)) };
}

function textSlot(ns: Ns, name: string, prop: string): Slot {
  return { ns, name, prop, find: (card) => card.getFirstProperty(prop) ?? undefined };
}

const SLOTS: Slot[] = [
  telSlot("Contacts", "BusinessPhoneNumber", "work", 0, ["work", "voice"]),
  telSlot("Contacts", "Business2PhoneNumber", "work", 1, ["work", "voice"]),
  telSlot("Contacts", "HomePhoneNumber", "home", 0, ["home", "voice"]),
  telSlot("Contacts", "Home2PhoneNumber", "home", 1, ["home", "voice"]),
  telSlot("Contacts", "MobilePhoneNumber", "mobile", 0, ["cell"]),
  telSlot("Contacts", "BusinessFaxNumber", "workfax", 0, ["work", "fax"]),
  telSlot("Contacts", "HomeFaxNumber", "homefax", 0, ["home", "fax"]),
  telSlot("Contacts", "PagerNumber", "pager", 0, ["pager"]),
  telSlot("Contacts", "CarPhoneNumber", "car", 0, ["car"]),
  telSlot("Contacts", "RadioPhoneNumber", "radio", 0, ["x-radio"]),
  telSlot("Contacts", "AssistantPhoneNumber", "assistant", 0, ["x-assistant"]),
  telSlot("Contacts2", "CompanyMainPhone", "companymain", 0, ["work", "x-company-main"]),
  telSlot("Contacts2", "MMS", "mms", 0, ["x-mms"]),
  nthSlot("Contacts", "Email1Address", "email", 0),
  nthSlot("Contacts", "Email2Address", "email", 1),
  nthSlot("Contacts", "Email3Address", "email", 2),
  nthSlot("Contacts2", "IMAddress", "impp", 0),
  nthSlot("Contacts2", "IMAddress2", "impp", 1),
  nthSlot("Contacts2", "IMAddress3", "impp", 2),
  relatedSlot("Contacts", "Spouse", "spouse"),
  relatedSlot("Contacts", "AssistantName", "x-assistant"),
  relatedSlot("Contacts2", "ManagerName", "x-manager"),
  textSlot("Contacts", "FileAs", "fn"),
  textSlot("Contacts", "JobTitle", "title"),
  nthSlot("Contacts", "WebPage", "url", 0),
  textSlot("Contacts", "OfficeLocation", "x-mobilesync-officelocation"),
  textSlot("Contacts", "YomiFirstName", "x-phonetic-first-name"),
  textSlot("Contacts", "YomiLastName", "x-phonetic-last-name"),
  textSlot("Contacts", "YomiCompanyName", "x-phonetic-org"),
  textSlot("Contacts2", "NickName", "nickname"),
  textSlot("Contacts2", "CustomerId", "x-mobilesync-customerid"),
  textSlot("Contacts2", "GovernmentId", "x-mobilesync-governmentid"),
  textSlot("Contacts2", "AccountName", "x-mobilesync-accountname"),
];

/** Components of structured properties: N, ORG and the three ADR kinds. */
interface Part extends Field {
  index: number;
}
interface Structured {
  prop: string;
  size: number;
  find(card: ICAL.Component): ICAL.Property | undefined;
  newTypes?: string[];
  parts: Part[];
}

function adrKind(p: ICAL.Property): "work" | "home" | "other" {
  const t = types(p);
  return t.has("work") ? "work" : t.has("home") ? "home" : "other";
}

function address(prefix: string, kind: "work" | "home" | "other"): Structured {
  return {
    prop: "adr",
    size: 7,
    newTypes: [kind],
    find: (card) => card.getAllProperties("adr").find((p) => adrKind(p) === kind),
    parts: [
      { ns: "Contacts", name: `${prefix}Street`, index: 2 },
      { ns: "Contacts", name: `${prefix}City`, index: 3 },
      { ns: "Contacts", name: `${prefix}State`, index: 4 },
      { ns: "Contacts", name: `${prefix}PostalCode`, index: 5 },
      { ns: "Contacts", name: `${prefix}Country`, index: 6 },
    ],
  };
}

const STRUCTURED: Structured[] = [
  {
    prop: "n",
    size: 5,
    find: (card) => card.getFirstProperty("n") ?? undefined,
    parts: [
      { ns: "Contacts", name: "LastName", index: 0 },
      { ns: "Contacts", name: "FirstName", index: 1 },
      { ns: "Contacts", name: "MiddleName", index: 2 },
      { ns: "Contacts", name: "Title", index: 3 },
      { ns: "Contacts", name: "Suffix", index: 4 },
    ],
  },
  {
    prop: "org",
    size: 2,
    find: (card) => card.getFirstProperty("org") ?? undefined,
    parts: [
      { ns: "Contacts", name: "CompanyName", index: 0 },
      { ns: "Contacts", name: "Department", index: 1 },
    ],
  },
  address("BusinessAddress", "work"),
  address("HomeAddress", "home"),
  address("OtherAddress", "other"),
];

function components(p: ICAL.Property | undefined, size: number): string[] {
  const v = p?.getFirstValue() as unknown;
  const list = Array.isArray(v)
    ? v.map((x) => (Array.isArray(x) ? x.join(",") : String(x ?? "")))
    : typeof v === "string"
      ? v.split(";")
      : [];
  while (list.length < size) list.push("");
  return list;
}

// ---------------------------------------------------------------- photo

function photoBase64(card: ICAL.Component): string | undefined {
  const p = card.getFirstProperty("photo");
  if (!p) return undefined;
  const v = p.getFirstValue() as unknown;
  const raw = typeof v === "object" && v !== null && "value" in v ? String((v as { value: string }).value) : String(v ?? "");
  const data = /^data:[^,]*;base64,(.*)$/s.exec(raw);
  if (data) return data[1];
  const enc = String(p.getParameter("encoding") ?? "").toLowerCase();
  return enc === "b" || enc === "base64" ? raw : undefined; // an http(s) URL is not sent
}

function sniffImageType(b64: string): string {
  if (b64.startsWith("iVBOR")) return "png";
  if (b64.startsWith("R0lGOD")) return "gif";
  return "jpeg";
}

function setPhoto(card: ICAL.Component, b64: string) {
  card.removeAllProperties("photo");
  const type = sniffImageType(b64);
  if (cardVersion(card) === "3.0") {
    const p = new ICAL.Property("photo", card);
    p.setParameter("encoding", "b");
    p.setParameter("type", type.toUpperCase());
    p.resetType("binary");
    p.setValue(new ICAL.Binary(b64) as unknown as string);
    card.addProperty(p);
  } else addProp(card, "photo", `data:image/${type};base64,${b64}`);
}

// ---------------------------------------------------------------- vCard -> EAS

/** The ApplicationData children for one stored vCard. */
export function contactToEas(vcf: string, ctx: ContactContext): WbxmlElement[] {
  const card = parseCard(vcf);
  const out: WbxmlElement[] = [];
  const put = (f: Field, value: string | undefined) => {
    if (value !== undefined && value !== "") out.push(el(f.ns, f.name, value));
  };
  for (const s of SLOTS) {
    const p = s.find(card);
    let v = stringValue(p);
    if (s.prop === "tel") v = v.replace(/^tel:/i, "");
    if (s.prop === "email") v = v.replace(/^mailto:/i, "");
    put(s, v);
  }
  for (const st of STRUCTURED) {
    const parts = components(st.find(card), st.size);
    for (const part of st.parts) put(part, parts[part.index]);
  }
  const bday = parseVcardDate(stringValue(card.getFirstProperty("bday") ?? undefined));
  if (bday) out.push(el("Contacts", "Birthday", contactDateToEas(bday, ctx.deviceFamily, ctx.deviceZone)));
  const anniversary = parseVcardDate(
    stringValue(card.getFirstProperty("anniversary") ?? card.getFirstProperty("x-anniversary") ?? undefined),
  );
  if (anniversary) out.push(el("Contacts", "Anniversary", contactDateToEas(anniversary, ctx.deviceFamily, ctx.deviceZone)));
  const children = card
    .getAllProperties("related")
    .filter((p) => types(p).has("child"))
    .map((p) => stringValue(p));
  if (children.length) out.push(el("Contacts", "Children", ...children.map((c) => el("Contacts", "Child", c))));
  const cats = categoriesToEas(card, "Contacts");
  if (cats) out.push(cats);
  const note = card.getFirstPropertyValue("note");
  if (note !== null && note !== undefined && String(note) !== "") out.push(bodyToEas(String(note), ctx.truncationSize));
  const photo = photoBase64(card);
  if (photo && photo.length <= MAX_PICTURE_BASE64) out.push(el("Contacts", "Picture", photo));
  return out;
}

// ---------------------------------------------------------------- EAS -> vCard

function ghosted(ctx: ContactContext, name: string): boolean {
  return ctx.supported !== undefined && !ctx.supported.has(name);
}

function sentText(data: WbxmlElement, f: Field): string | undefined {
  const e = child(data, f.name, f.ns);
  return e ? (textOf(e) ?? "") : undefined;
}

function cleanEmail(v: string): string {
  // Devices send either a bare address or an RFC 5322 mailbox ("Name" <a@b>).
  const m = /<([^<>]+)>\s*$/.exec(v);
  return (m ? m[1] : v).trim();
}

/**
 * The stored vCard for what the device sent: a new card (Sync Add) or `previousVcf` edited (Sync Change).
 * Throws PimConversionError (Sync Status 6) on bad values and an oversized Picture.
 */
export function contactFromEas(data: WbxmlElement, ctx: ContactContext, previousVcf?: string): string {
  const isChange = previousVcf !== undefined;
  const card = previousVcf !== undefined ? parseCard(previousVcf) : new ICAL.Component(["vcard", [], []]);
  if (!isChange) {
    card.addPropertyWithValue("version", "4.0");
    card.addPropertyWithValue("uid", (ctx.newUid ?? (() => crypto.randomUUID()))());
  }
  const keep = (name: string) => isChange && ghosted(ctx, name);

  // Pick every slot's property before editing, so removing one does not shift the others.
  const found = SLOTS.map((s) => ({ s, p: s.find(card) }));
  for (const { s, p } of found) {
    let value = sentText(data, s);
    if (value === undefined) {
      if (p && isChange && !keep(s.name)) card.removeProperty(p);
      continue;
    }
    if (s.prop === "email") value = cleanEmail(value);
    if (value === "") {
      if (p) card.removeProperty(p);
      continue;
    }
    if (p) p.setValue(value);
    else if (s.prop === "related") addProp(card, "related", value, s.newTypes, "text");
    else addProp(card, s.prop, value, s.newTypes);
  }

  for (const st of STRUCTURED) {
    const p = st.find(card);
    const parts = components(p, st.size);
    let touched = false;
    for (const part of st.parts) {
      const v = sentText(data, part);
      if (v !== undefined) {
        parts[part.index] = v;
        touched = true;
      } else if (isChange && !keep(part.name) && parts[part.index] !== "") {
        parts[part.index] = "";
        touched = true;
      }
    }
    if (!touched) continue;
    const empty = parts.every((x) => x === "");
    if (p && empty && st.prop !== "n") card.removeProperty(p);
    else if (p) p.setValue(parts as unknown as string);
    else if (!empty) addProp(card, st.prop, parts, st.newTypes);
  }

  const dateField = (name: "Birthday" | "Anniversary", props: string[]) => {
    const v = sentText(data, { ns: "Contacts", name });
    if (v === undefined && (!isChange || keep(name))) return;
    for (const prop of props) card.removeAllProperties(prop);
    if (!v) return;
    const d = contactDateFromEas(v, ctx.deviceFamily, ctx.deviceZone);
    const version = cardVersion(card);
    const prop = name === "Birthday" ? "bday" : version === "4.0" ? "anniversary" : "x-anniversary";
    addProp(card, prop, formatVcardDate(d, version), undefined, version === "4.0" ? "date-and-or-time" : "date");
  };
  dateField("Birthday", ["bday"]);
  dateField("Anniversary", ["anniversary", "x-anniversary"]);

  const children = child(data, "Children", "Contacts");
  if (children || (isChange && !keep("Children"))) {
    for (const p of card.getAllProperties("related").filter((x) => types(x).has("child"))) card.removeProperty(p);
    for (const c of childrenNamed(children, "Child", "Contacts")) addProp(card, "related", textOf(c) ?? "", ["child"], "text");
  }

  categoriesFromEas(card, data, "Contacts", !isChange || keep("Categories"));

  // [MS-ASCNTC] R461: no Body in the request never deletes the stored notes.
  const body = bodyFromEas(data, "Contacts");
  if (body !== undefined) {
    card.removeAllProperties("note");
    if (body !== "") card.addPropertyWithValue("note", body);
  }

  const picture = child(data, "Picture", "Contacts");
  const stored = photoBase64(card);
  if (picture) {
    const b64 = (textOf(picture) ?? "").replace(/\s+/g, "");
    if (b64.length > MAX_PICTURE_BASE64) throw new PimConversionError("Picture over 48 KB"); // R384
    if (b64 === "") {
      // iOS sends an empty Picture on every edit when the photo did not change (Horde QUIRK 2).
      if (ctx.deviceFamily !== "ios") card.removeAllProperties("photo");
    } else if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) throw new PimConversionError("Picture is not base64");
    else setPhoto(card, b64);
  } else if (isChange && !keep("Picture") && stored && stored.length <= MAX_PICTURE_BASE64) {
    // Only a photo the device was sent can be deleted by leaving it out.
    card.removeAllProperties("photo");
  }

  ensureFormattedName(card);
  return card.toString();
}

/** vCard requires FN: the device's FileAs, else built from the name, company or first e-mail. */
function ensureFormattedName(card: ICAL.Component) {
  if (stringValue(card.getFirstProperty("fn") ?? undefined) !== "") return;
  card.removeAllProperties("fn");
  const n = components(card.getFirstProperty("n") ?? undefined, 5);
  const name = [n[3], n[1], n[2], n[0], n[4]].filter((x) => x).join(" ");
  const org = components(card.getFirstProperty("org") ?? undefined, 2)[0];
  const email = stringValue(card.getFirstProperty("email") ?? undefined);
  card.addPropertyWithValue("fn", name || org || email || "");
  if (!card.hasProperty("n")) addProp(card, "n", ["", "", "", "", ""]);
}

/** Every Contacts/Contacts2 element this conversion maps (for a device's Supported list). */
export const CONTACT_FIELDS: readonly string[] = [
  ...SLOTS.map((s) => s.name),
  ...STRUCTURED.flatMap((s) => s.parts.map((p) => p.name)),
  "Birthday",
  "Anniversary",
  "Children",
  "Categories",
  "Picture",
  "Body",
];
