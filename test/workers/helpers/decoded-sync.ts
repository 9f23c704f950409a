// A mailbox object's Sync answer read back for tests: its Responses and Commands arrive as encoded WBXML fragments
// (src/eas/sync-render.ts); this decodes them into plain records, so a test states what the device gets.
import type { SyncCollectionResult } from "../../../src/eas/sync-types";
import { child, childText, decodeWbxmlFragment, isElement, type WbxmlElement, type WbxmlFragment } from "../../../src/wbxml/index";

/** A server command as encoded: its op, ServerId and ApplicationData (Add, Change). */
export interface DecodedCommand {
  op: "Add" | "Change" | "Delete" | "SoftDelete";
  serverId: string;
  data?: WbxmlElement;
}

export interface DecodedResponses {
  adds: { clientId: string; serverId?: string; status: number; data?: WbxmlElement }[];
  changes: { serverId: string; status: number }[];
  deletes: { serverId: string; status: number }[];
  fetches: { serverId: string; status: number; data?: WbxmlElement }[];
}

export interface DecodedCollection {
  collectionId: string;
  syncKey: string;
  status: number;
  moreAvailable: boolean;
  responses: DecodedResponses;
  commands: DecodedCommand[];
}

function nodes(f: WbxmlFragment | undefined): WbxmlElement[] {
  if (!f) return [];
  const all = decodeWbxmlFragment(f);
  if (!all.every(isElement)) throw new Error("a fragment of Responses or Commands holds text");
  return all as WbxmlElement[];
}

function required(e: WbxmlElement, name: string): string {
  const v = childText(e, name, "AirSync");
  if (v === undefined) throw new Error(`${e.name} without ${name}`);
  return v;
}

export function decodedCommands(c: SyncCollectionResult | null | undefined): DecodedCommand[] {
  return nodes(c?.commands).map((e) => {
    if (e.ns !== "AirSync" || !["Add", "Change", "Delete", "SoftDelete"].includes(e.name)) throw new Error(`a command ${e.ns}:${e.name}`);
    const data = child(e, "ApplicationData", "AirSync");
    return { op: e.name as DecodedCommand["op"], serverId: required(e, "ServerId"), ...(data ? { data } : {}) };
  });
}

export function decodedResponses(c: SyncCollectionResult | null | undefined): DecodedResponses {
  const out: DecodedResponses = { adds: [], changes: [], deletes: [], fetches: [] };
  for (const e of nodes(c?.responses)) {
    const status = Number(required(e, "Status"));
    const data = child(e, "ApplicationData", "AirSync");
    if (e.name === "Add") {
      const serverId = childText(e, "ServerId", "AirSync");
      out.adds.push({
        clientId: required(e, "ClientId"),
        ...(serverId !== undefined ? { serverId } : {}),
        status,
        ...(data ? { data } : {}),
      });
    } else if (e.name === "Change") out.changes.push({ serverId: required(e, "ServerId"), status });
    else if (e.name === "Delete") out.deletes.push({ serverId: required(e, "ServerId"), status });
    else if (e.name === "Fetch") out.fetches.push({ serverId: required(e, "ServerId"), status, ...(data ? { data } : {}) });
    else throw new Error(`a response ${e.ns}:${e.name}`);
  }
  return out;
}

/** The collection with its Responses and Commands decoded. */
export function decodedCollection(c: SyncCollectionResult): DecodedCollection {
  return {
    collectionId: c.collectionId,
    syncKey: c.syncKey,
    status: c.status,
    moreAvailable: c.moreAvailable,
    responses: decodedResponses(c),
    commands: decodedCommands(c),
  };
}
