// Sync request bodies for Node-side tests and benchmarks.
import { el, type WbxmlElement } from "../../src/wbxml/index";

/** A Sync of one collection; `extra` goes inside <Collection> after SyncKey and CollectionId. */
export function syncRequest(collectionId: string, key: string, extra: (WbxmlElement | false | undefined)[] = []): WbxmlElement {
  return el(
    "AirSync",
    "Sync",
    el(
      "AirSync",
      "Collections",
      el("AirSync", "Collection", el("AirSync", "SyncKey", key), el("AirSync", "CollectionId", collectionId), ...extra),
    ),
  );
}
