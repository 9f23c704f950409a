// A Sync's items for the device ([MS-ASCMD] 2.2.1.21): the engine's typed SyncOutcome → the content of each
// collection's Responses and Commands elements, encoded as WBXML for the request's protocol version. Runs in the
// mailbox object (issue 15): the page crosses the RPC as bytes, not as an object graph cloned on both sides, and the
// front door (eas/front/sync-response.ts) only builds the small shell around it.
import { el, encodeWbxmlFragment, type WbxmlElement, type WbxmlFragment } from "../wbxml";
import { mailChangeProperties, mailProperties } from "./email-props";
import { pimData25 } from "./legacy25";
import { atLeast } from "./protocol-version";
import type {
  ItemPayload,
  ServerCommand,
  SyncCollectionOutcome,
  SyncCollectionResult,
  SyncOutcome,
  SyncResponses,
  SyncResult,
} from "./sync-types";

/** ApplicationData children: mail is encoded here, other classes arrive already in EAS form (2.5: reshaped). */
function itemProperties(item: ItemPayload, pv: string): WbxmlElement[] {
  if ("mail" in item) return mailProperties(item.mail, pv);
  return pv === "2.5" ? pimData25(item.data) : item.data;
}

/** ApplicationData of an item; a message's properties (a fresh array, no gaps) become its children as they are. */
function applicationData(item: ItemPayload, pv: string): WbxmlElement {
  if ("mail" in item) return { ns: "AirSync", name: "ApplicationData", children: mailProperties(item.mail, pv) };
  return el("AirSync", "ApplicationData", ...itemProperties(item, pv));
}

function commandElement(cmd: ServerCommand, pv: string): WbxmlElement {
  switch (cmd.op) {
    case "Add":
      return el("AirSync", "Add", el("AirSync", "ServerId", cmd.serverId), applicationData(cmd.item, pv));
    case "Change": {
      const props = "mail" in cmd.change ? mailChangeProperties(cmd.change.mail, pv) : itemProperties(cmd.change, pv);
      return el("AirSync", "Change", el("AirSync", "ServerId", cmd.serverId), el("AirSync", "ApplicationData", ...props));
    }
    case "Delete":
    case "SoftDelete":
      return el("AirSync", cmd.op, el("AirSync", "ServerId", cmd.serverId));
  }
}

/** Responses/Add: the new item's ServerId and whatever the device must learn of what it added. */
function addResponse(a: SyncResponses["adds"][number], pv: string): WbxmlElement {
  const data = [
    // [MS-ASAIRS] 2.2.2.7: each added attachment's ClientId with its FileReference.
    (a.attachments?.length ?? 0) > 0 &&
      el(
        "AirSyncBase",
        "Attachments",
        ...(a.attachments ?? []).map((x) =>
          el("AirSyncBase", "Attachment", el("AirSyncBase", "ClientId", x.clientId), el("AirSyncBase", "FileReference", x.fileReference)),
        ),
      ),
    // [MS-ASEMAIL] 2.2.2.21: a 16.x draft's ConversationId (MS-ASEMAIL_R1184, R11850).
    a.conversationId && atLeast(pv, "16.0") && el("Email2", "ConversationId", a.conversationId),
  ].filter((x): x is WbxmlElement => !!x);
  return el(
    "AirSync",
    "Add",
    el("AirSync", "ClientId", a.clientId),
    a.serverId && el("AirSync", "ServerId", a.serverId),
    el("AirSync", "Status", a.status),
    data.length > 0 && el("AirSync", "ApplicationData", ...data),
  );
}

/** The children of a collection's Responses element, in the order of [MS-ASCMD] 2.2.3.152. */
export function responseElements(r: SyncResponses, pv: string): WbxmlElement[] {
  return [
    ...r.adds.map((a) => addResponse(a, pv)),
    ...r.changes.map((x) => el("AirSync", "Change", el("AirSync", "ServerId", x.serverId), el("AirSync", "Status", x.status))),
    ...r.deletes.map((x) => el("AirSync", "Delete", el("AirSync", "ServerId", x.serverId), el("AirSync", "Status", x.status))),
    ...r.fetches.map((f) =>
      el(
        "AirSync",
        "Fetch",
        el("AirSync", "ServerId", f.serverId),
        el("AirSync", "Status", f.status),
        f.item && el("AirSync", "ApplicationData", ...itemProperties(f.item, pv)),
      ),
    ),
  ];
}

/** The children of a collection's Commands element. */
export function commandElements(commands: ServerCommand[], pv: string): WbxmlElement[] {
  return commands.map((x) => commandElement(x, pv));
}

/** One collection rendered: its Responses and Commands as fragments to stand inside those AirSync elements. */
export function renderCollection(c: SyncCollectionOutcome, pv: string): SyncCollectionResult {
  const out: SyncCollectionResult = { collectionId: c.collectionId, syncKey: c.syncKey, status: c.status, moreAvailable: c.moreAvailable };
  const r = c.responses;
  if (r.adds.length + r.changes.length + r.deletes.length + r.fetches.length > 0) out.responses = fragment(responseElements(r, pv));
  if (c.commands.length > 0) out.commands = fragment(commandElements(c.commands, pv));
  return out;
}

function fragment(nodes: WbxmlElement[]): WbxmlFragment {
  return encodeWbxmlFragment(nodes, "AirSync");
}

/** The engine's answer rendered for protocol version `pv` (what the mailbox object's `sync` RPC returns). */
export function renderSyncResult(outcome: SyncOutcome, pv: string): SyncResult {
  const result: SyncResult = {
    status: outcome.status,
    collections: outcome.collections.map((c) => renderCollection(c, pv)),
    collectionIds: outcome.collectionIds,
  };
  if (outcome.waitSeconds !== undefined) result.waitSeconds = outcome.waitSeconds;
  return result;
}
