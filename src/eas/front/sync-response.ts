// Sync response ([MS-ASCMD] 2.2.1.21): typed SyncResult → WBXML (or the empty response).
import { el, type WbxmlElement } from "../../wbxml";
import type { EasResponse } from "./command";
import { mailChangeProperties, mailProperties } from "./email-props";
import { pimData25 } from "./legacy25";
import { atLeast } from "../protocol-version";
import type { ItemPayload, ServerCommand, SyncCollectionResult, SyncResponses, SyncResult } from "../sync-types";
import { SyncStatus } from "../sync-types";

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

function collectionElement(c: SyncCollectionResult, pv: string): WbxmlElement {
  const r = c.responses;
  const hasResponses = r.adds.length + r.changes.length + r.deletes.length + r.fetches.length > 0;
  return el(
    "AirSync",
    "Collection",
    el("AirSync", "SyncKey", c.syncKey),
    el("AirSync", "CollectionId", c.collectionId),
    el("AirSync", "Status", c.status),
    hasResponses &&
      el(
        "AirSync",
        "Responses",
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
      ),
    c.commands.length > 0 && el("AirSync", "Commands", ...c.commands.map((x) => commandElement(x, pv))),
    c.moreAvailable && el("AirSync", "MoreAvailable"),
  );
}

export function buildSyncResponse(result: SyncResult, pv: string): EasResponse {
  if (result.status !== SyncStatus.Success) return { kind: "wbxml", body: el("AirSync", "Sync", el("AirSync", "Status", result.status)) };
  // No collection with anything to say: the empty 200 response ([MS-ASCMD] 2.2.1.21, unchanged Sync).
  if (result.collections.length === 0) return { kind: "empty" };
  return {
    kind: "wbxml",
    body: el("AirSync", "Sync", el("AirSync", "Collections", ...result.collections.map((c) => collectionElement(c, pv)))),
  };
}
