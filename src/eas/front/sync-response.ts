// Sync response ([MS-ASCMD] 2.2.1.21): the mailbox object's SyncResult → WBXML (or the empty response). The items
// arrive encoded (eas/sync-render.ts, in the object): this builds the shell around them — Sync, Collections, each
// Collection's SyncKey, CollectionId, Status and MoreAvailable — and the encoder copies the Responses' and
// Commands' fragments in place.
import { el, type WbxmlElement } from "../../wbxml";
import type { EasResponse } from "./command";
import type { SyncCollectionResult, SyncResult } from "../sync-types";
import { SyncStatus } from "../sync-types";

function collectionElement(c: SyncCollectionResult): WbxmlElement {
  return el(
    "AirSync",
    "Collection",
    el("AirSync", "SyncKey", c.syncKey),
    el("AirSync", "CollectionId", c.collectionId),
    el("AirSync", "Status", c.status),
    c.responses && el("AirSync", "Responses", c.responses),
    c.commands && el("AirSync", "Commands", c.commands),
    c.moreAvailable && el("AirSync", "MoreAvailable"),
  );
}

export function buildSyncResponse(result: SyncResult): EasResponse {
  if (result.status !== SyncStatus.Success) return { kind: "wbxml", body: el("AirSync", "Sync", el("AirSync", "Status", result.status)) };
  // No collection with anything to say: the empty 200 response ([MS-ASCMD] 2.2.1.21, unchanged Sync).
  if (result.collections.length === 0) return { kind: "empty" };
  return { kind: "wbxml", body: el("AirSync", "Sync", el("AirSync", "Collections", ...result.collections.map(collectionElement))) };
}
