// ItemOperations ([MS-ASCMD] 2.2.1.10): Fetch of mail items and attachments (Range, multipart),
// EmptyFolderContents and Move of a conversation (14.0+, [MS-ASCON] 3.2.5.3).
import { child, childrenNamed, childText, el, elements, encodeWbxml, text, type WbxmlElement } from "../../wbxml/index";
import { atLeast } from "../protocol-version";
import { conversationIdBytes, conversationIdHex } from "../front/conversation-id";
import { type FetchRequest, type FetchResult, streamedLength } from "../../mailbox/contract";
import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import { toBase64 } from "../../formats/base64";
import { base64Length, base64Stream } from "../front/byte-streams";
import { type MultipartPart, multipartBody } from "../front/multipart";
import { type StreamedText, streamedTextMarker } from "../front/streamed-text";
import { bodyElement, mailProperties } from "../email-props";
import { parseBodyPartPreference, parseBodyPreferences, partPreference } from "../front/options";

const io = (name: string, ...c: Parameters<typeof el>[2][]) => el("ItemOperations", name, ...c);

class Malformed extends Error {}
class BodyPartTypeUnsupported extends Error {}

function parseRange(s: string | undefined): { start: number; end: number } | undefined | "bad" {
  if (s === undefined) return undefined;
  const m = /^\s*([0-9]{1,10})-([0-9]{1,10})\s*$/.exec(s);
  if (!m) return "bad";
  return { start: Number(m[1]), end: Number(m[2]) };
}

export const ItemOperationsCommand: EasCommand = {
  name: "ItemOperations",
  async handle(req: EasRequest): Promise<EasResponse> {
    const b = req.body?.name === "ItemOperations" ? req.body : undefined;
    if (!b) return { kind: "wbxml", body: io("ItemOperations", io("Status", 2)) };
    // [MS-ASCMD] 2.2.1.10 (R193): the operations run in the order of the request. The response lists the
    // Move answers, then the EmptyFolderContents answers, then the Fetch answers, each in request order, as the
    // response schema (a sequence: Move*, EmptyFolderContents*, Fetch*) requires.
    const opEls = elements(b).filter((e) => e.name === "Fetch" || e.name === "EmptyFolderContents" || e.name === "Move");
    // Exchange limits a request to 100 operations ([MS-ASCMD] 3.1.5.10).
    if (opEls.length > 100) return { kind: "wbxml", body: io("ItemOperations", io("Status", 2)) };

    // Everything is parsed before anything runs: a malformed request changes nothing.
    type Op =
      | { fetch: FetchRequest | { bad: number } }
      | { empty: { collectionId: string; deleteSub: boolean } }
      | { move: ConversationMove };
    const ops: Op[] = [];
    try {
      for (const e of opEls) {
        if (e.name === "Fetch") {
          ops.push({ fetch: parseFetch(e, req.protocolVersion) });
          continue;
        }
        if (e.name === "Move") {
          ops.push({ move: parseMove(e, req.protocolVersion) });
          continue;
        }
        const collectionId = childText(e, "CollectionId", "AirSync") ?? childText(e, "CollectionId");
        if (!collectionId) throw new Malformed();
        ops.push({ empty: { collectionId, deleteSub: child(child(e, "Options"), "DeleteSubFolders") !== undefined } });
      }
    } catch (e) {
      if (e instanceof Malformed) return { kind: "wbxml", body: io("ItemOperations", io("Status", 2)) };
      // [MS-ASCMD] 2.2.3.177.8 Status 155, global: a Move without Options/MoveAlways (MS-ASCMD_R3475, R4171, R4940).
      if (e instanceof MoveAlwaysMissing) return { kind: "wbxml", body: io("ItemOperations", io("Status", 155)) };
      throw e;
    }

    const parts: MultipartPart[] = [];
    const multipart = req.acceptMultiPart;
    const asPart = (data: MultipartPart): WbxmlElement => {
      parts.push(data);
      return io("Part", parts.length); // part 0 is this WBXML document
    };
    // Inline, an attachment is base64 in Data: a streamed one is encoded on its way out, never held (issue 15).
    const streamedTexts: StreamedText[] = [];
    const inline = (data: MultipartPart): WbxmlElement => {
      if (data instanceof Uint8Array) return io("Data", toBase64(data));
      const marker = streamedTextMarker(streamedTexts.length);
      streamedTexts.push({ marker, body: base64Stream(data.body), length: base64Length(data.length) });
      return io("Data", marker);
    };
    const moved: WbxmlElement[] = [];
    const emptied: WbxmlElement[] = [];
    const fetched: WbxmlElement[] = [];
    let spent = 0; // time in the mailbox object's fetches, for Server-Timing
    // Consecutive Fetches go to the mailbox in one call; an EmptyFolderContents runs between them.
    for (let i = 0; i < ops.length; ) {
      const op = ops[i];
      if ("move" in op) {
        const status = await req.mailbox.moveConversation(req.deviceId, op.move.conversationId, op.move.dstFldId, op.move.always);
        // MS-ASCON_R69, R126: the answer names the conversation by the bytes the phone sent.
        moved.push(io("Move", io("Status", status), io("ConversationId", op.move.bytes)));
        i++;
        continue;
      }
      if ("empty" in op) {
        const status = await req.mailbox.emptyFolderContents(req.deviceId, op.empty.collectionId, op.empty.deleteSub);
        emptied.push(io("EmptyFolderContents", io("Status", status), el("AirSync", "CollectionId", op.empty.collectionId)));
        i++;
        continue;
      }
      const run: (FetchRequest | { bad: number })[] = [];
      for (; i < ops.length && "fetch" in ops[i]!; i++) run.push((ops[i] as { fetch: FetchRequest | { bad: number } }).fetch);
      const real = run.filter((f): f is FetchRequest => !("bad" in f));
      const started = performance.now();
      const results = real.length > 0 ? await req.mailbox.itemOperationsFetch(real) : [];
      spent += performance.now() - started;
      let k = 0;
      for (const f of run) {
        if ("bad" in f) fetched.push(io("Fetch", io("Status", f.bad)));
        else fetched.push(fetchElement(results[k++], req.protocolVersion, multipart ? asPart : undefined, inline));
      }
    }
    const body = io("ItemOperations", io("Status", 1), io("Response", ...moved, ...emptied, ...fetched));
    // Time spent in the mailbox object (the clock advances across the RPC): for benchmarks and operators.
    const headers = { "Server-Timing": `mailbox;dur=${spent.toFixed(1)}` };
    if (!multipart) return { kind: "wbxml", body, headers, ...(streamedTexts.length > 0 ? { streamedTexts } : {}) };
    const { body: bytes, length } = multipartBody([encodeWbxml(body), ...parts]);
    return {
      kind: "raw",
      body: bytes,
      contentType: "application/vnd.ms-sync.multipart",
      headers: { ...headers, "Content-Length": String(length) },
    };
  },
};

class MoveAlwaysMissing extends Error {}

interface ConversationMove {
  /** 32 hex digits, the mailbox's form. */
  conversationId: string;
  /** The ConversationId as the phone sent it, echoed in the answer. */
  bytes: Uint8Array;
  dstFldId: string;
  always: boolean;
}

/**
 * [MS-ASCMD] 2.2.3.117.1 Move (14.0+, MS-ASCMD_R6850…R6853101701): ConversationId and DstFldId, both required
 * (MS-ASCMD_R1436, R2209: a protocol error without them), and Options/MoveAlways, which the phone must send
 * (MS-ASCMD_R3474; Status 155 without it). 12.x has no Move: a protocol error.
 */
function parseMove(m: WbxmlElement, protocolVersion: string): ConversationMove {
  if (!atLeast(protocolVersion, "14.0")) throw new Malformed();
  const ids = childrenNamed(m, "ConversationId", "ItemOperations");
  const dsts = childrenNamed(m, "DstFldId", "ItemOperations");
  if (ids.length !== 1 || dsts.length !== 1) throw new Malformed();
  const conversationId = conversationIdHex(ids[0]!);
  const dstFldId = (text(dsts[0]!) ?? "").trim();
  if (conversationId === null || !dstFldId || dstFldId.length > 64) throw new Malformed();
  const always = child(child(m, "Options", "ItemOperations"), "MoveAlways", "ItemOperations") !== undefined;
  if (!always) throw new MoveAlwaysMissing();
  return { conversationId, bytes: conversationIdBytes(ids[0]!), dstFldId, always };
}

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
  // search:LongId names a Search result (MS-ASCMD 2.2.3.98.2); it and CollectionId/ServerId exclude each other.
  const longId = childText(f, "LongId", "Search")?.trim();
  if (longId !== undefined ? !longId || collectionId || serverId : !collectionId || !serverId) return { bad: 2 };
  const bad = () => new Malformed();
  const mime = childText(options, "MIMESupport", "AirSync");
  let part: ReturnType<typeof parseBodyPartPreference>;
  try {
    part = parseBodyPartPreference(options, bad, () => new BodyPartTypeUnsupported(), protocolVersion);
  } catch (e) {
    // [MS-ASCMD] 2.2.2 status 164 for this Fetch: a BodyPartPreference Type other than 2 (MS-ASCON_R241).
    if (e instanceof BodyPartTypeUnsupported) return { bad: 164 };
    throw e;
  }
  return {
    kind: "item",
    collectionId: collectionId ?? "",
    serverId: serverId ?? "",
    ...(longId !== undefined ? { longId } : {}),
    options: {
      bodyPreferences: parseBodyPreferences(options, bad),
      // [MS-ASCON] 3.2.5.7 (MS-ASCON_R236): the message part in a BodyPart; Type other than 2 → Status 164 (R241).
      ...partPreference(part),
      mimeSupport: mime !== undefined && /^[0-2]$/.test(mime.trim()) ? Number(mime.trim()) : 0,
      protocolVersion,
    },
  };
}

function fetchElement(
  r: FetchResult,
  pv: string,
  asPart: ((d: MultipartPart) => WbxmlElement) | undefined,
  inline: (d: MultipartPart) => WbxmlElement,
): WbxmlElement {
  if (r.kind === "attachment") {
    const bytes: MultipartPart | undefined = r.body ? { body: r.body, length: streamedLength(r) } : r.data;
    if (r.status !== 1 || !bytes) return io("Fetch", io("Status", r.status), el("AirSyncBase", "FileReference", r.fileReference));
    return io(
      "Fetch",
      io("Status", 1),
      el("AirSyncBase", "FileReference", r.fileReference),
      io(
        "Properties",
        el("AirSyncBase", "ContentType", r.contentType ?? "application/octet-stream"),
        r.range && io("Range", `${r.range.start}-${r.range.end}`),
        r.range && io("Total", r.total ?? 0),
        (asPart ?? inline)(bytes),
      ),
    );
  }
  // A fetch by LongId answers with the LongId, as it was asked (the response schema: CollectionId?, ServerId?, LongId?).
  const head =
    r.longId !== undefined
      ? [io("Status", r.status), el("Search", "LongId", r.longId)]
      : [io("Status", r.status), el("AirSync", "CollectionId", r.collectionId), el("AirSync", "ServerId", r.serverId)];
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
