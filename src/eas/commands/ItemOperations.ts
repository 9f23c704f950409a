// ItemOperations ([MS-ASCMD] 2.2.1.10): Fetch of mail items and attachments (Range, multipart) and
// EmptyFolderContents.
import { child, childrenNamed, childText, el, encodeWbxml, type WbxmlElement } from "../../wbxml/index";
import type { FetchRequest, FetchResult } from "../../mailbox/item-ops";
import type { EasCommand, EasRequest, EasResponse } from "../command";
import { bodyElement, mailProperties } from "../email-props";
import { parseBodyPreferences } from "../options";

const io = (name: string, ...c: Parameters<typeof el>[2][]) => el("ItemOperations", name, ...c);

class Malformed extends Error {}

function parseRange(s: string | undefined): { start: number; end: number } | undefined | "bad" {
  if (s === undefined) return undefined;
  const m = /^\s*([0-9]{1,10})-([0-9]{1,10})\s*$/.exec(s);
  if (!m) return "bad";
  return { start: Number(m[1]), end: Number(m[2]) };
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** [MS-ASCMD] 2.2.1.10.1 multipart: part count, (offset, length) per part, then the parts; part 0 is WBXML. */
export function multipartBody(parts: Uint8Array[]): Uint8Array {
  const header = 4 + 8 * parts.length;
  const total = header + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setInt32(0, parts.length, true);
  let offset = header;
  parts.forEach((p, i) => {
    view.setInt32(4 + 8 * i, offset, true);
    view.setInt32(8 + 8 * i, p.length, true);
    out.set(p, offset);
    offset += p.length;
  });
  return out;
}

export const ItemOperationsCommand: EasCommand = {
  name: "ItemOperations",
  async handle(req: EasRequest): Promise<EasResponse> {
    const b = req.body?.name === "ItemOperations" ? req.body : undefined;
    if (!b) return { kind: "wbxml", body: io("ItemOperations", io("Status", 2)) };
    const fetchEls = childrenNamed(b, "Fetch");
    const emptyEls = childrenNamed(b, "EmptyFolderContents");
    // Exchange limits a request to 100 operations ([MS-ASCMD] 3.1.5.10).
    if (fetchEls.length + emptyEls.length > 100) return { kind: "wbxml", body: io("ItemOperations", io("Status", 2)) };

    const responses: WbxmlElement[] = [];
    for (const e of emptyEls) {
      const collectionId = childText(e, "CollectionId", "AirSync") ?? childText(e, "CollectionId");
      if (!collectionId) return { kind: "wbxml", body: io("ItemOperations", io("Status", 2)) };
      const deleteSub = child(child(e, "Options"), "DeleteSubFolders") !== undefined;
      const status = await req.mailbox.emptyFolderContents(req.deviceId, collectionId, deleteSub);
      responses.push(io("EmptyFolderContents", io("Status", status), el("AirSync", "CollectionId", collectionId)));
    }

    let fetches: (FetchRequest | { bad: number })[];
    try {
      fetches = fetchEls.map((f) => parseFetch(f, req.protocolVersion));
    } catch (e) {
      if (e instanceof Malformed) return { kind: "wbxml", body: io("ItemOperations", io("Status", 2)) };
      throw e;
    }
    const real = fetches.filter((f): f is FetchRequest => !("bad" in f));
    const results = real.length > 0 ? await req.mailbox.itemOperationsFetch(real) : [];
    const parts: Uint8Array[] = [];
    const multipart = req.acceptMultiPart;
    const asPart = (data: Uint8Array): WbxmlElement => {
      parts.push(data);
      return io("Part", parts.length); // part 0 is this WBXML document
    };
    let k = 0;
    fetches.forEach((f) => {
      if ("bad" in f) {
        responses.push(io("Fetch", io("Status", f.bad)));
        return;
      }
      responses.push(fetchElement(results[k++], req.protocolVersion, multipart ? asPart : undefined));
    });
    const body = io("ItemOperations", io("Status", 1), io("Response", ...responses));
    if (!multipart) return { kind: "wbxml", body };
    return { kind: "raw", body: multipartBody([encodeWbxml(body), ...parts]), contentType: "application/vnd.ms-sync.multipart" };
  },
};

function parseFetch(f: WbxmlElement, protocolVersion: string): FetchRequest | { bad: number } {
  const store = childText(f, "Store")?.trim();
  // Status 9: unknown store (document libraries are not served).
  if (store !== undefined && store.toLowerCase() !== "mailbox") return { bad: 9 };
  const options = child(f, "Options");
  const fileReference = childText(f, "FileReference", "AirSyncBase");
  const range = parseRange(childText(options, "Range"));
  if (range === "bad") return { bad: 8 };
  if (fileReference) return { kind: "attachment", fileReference, range };
  const collectionId = childText(f, "CollectionId", "AirSync");
  const serverId = childText(f, "ServerId", "AirSync");
  if (!collectionId || !serverId) return { bad: 2 };
  const bad = () => new Malformed();
  const mime = childText(options, "MIMESupport", "AirSync");
  return {
    kind: "item",
    collectionId,
    serverId,
    options: {
      bodyPreferences: parseBodyPreferences(options, bad),
      mimeSupport: mime !== undefined && /^[0-2]$/.test(mime.trim()) ? Number(mime.trim()) : 0,
      protocolVersion,
    },
  };
}

function fetchElement(r: FetchResult, pv: string, asPart: ((d: Uint8Array) => WbxmlElement) | undefined): WbxmlElement {
  if (r.kind === "attachment") {
    if (r.status !== 1 || !r.data) return io("Fetch", io("Status", r.status), el("AirSyncBase", "FileReference", r.fileReference));
    return io(
      "Fetch",
      io("Status", 1),
      el("AirSyncBase", "FileReference", r.fileReference),
      io(
        "Properties",
        el("AirSyncBase", "ContentType", r.contentType ?? "application/octet-stream"),
        r.range && io("Range", `${r.range.start}-${r.range.end}`),
        r.range && io("Total", r.total ?? 0),
        asPart ? asPart(r.data) : io("Data", toBase64(r.data)),
      ),
    );
  }
  const head = [io("Status", r.status), el("AirSync", "CollectionId", r.collectionId), el("AirSync", "ServerId", r.serverId)];
  if (r.status === 1 && r.data) return io("Fetch", ...head, el("AirSync", "Class", r.itemClass ?? "Email"), io("Properties", ...r.data));
  if (r.status !== 1 || !r.item) return io("Fetch", ...head);
  let props = mailProperties(r.item, pv);
  const body = r.item.body;
  if (asPart && body?.data !== undefined) {
    const bytes = typeof body.data === "string" ? new TextEncoder().encode(body.data) : body.data;
    const { data: _inPart, ...rest } = body;
    const withPart = bodyElement(rest);
    withPart.children.push(asPart(bytes)); // Body: Type, EstimatedDataSize, Truncated, Data, Preview, Part
    props = props.map((p) => (p.name === "Body" && p.ns === "AirSyncBase" ? withPart : p));
  }
  return io("Fetch", ...head, el("AirSync", "Class", "Email"), io("Properties", ...props));
}
