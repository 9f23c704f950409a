// Whole-collection import and export of the default calendar and address book (admin .ics/.vcf).
import { joinCalendar, joinVcards, splitCalendar, splitVcards } from "../formats/pim-objects";
import type { PimImportResult, PimStore } from "../store/pim-types";
import { FolderType, type FolderTypeValue, type MailStore } from "../store/types";

export type PimCollection = "calendar" | "contacts" | "tasks" | "notes";

const SHAPES: Record<PimCollection, { type: FolderTypeValue; components: string[] }> = {
  calendar: { type: FolderType.Calendar, components: ["vevent"] },
  tasks: { type: FolderType.Tasks, components: ["vtodo"] },
  notes: { type: FolderType.Notes, components: ["vjournal"] },
  contacts: { type: FolderType.Contacts, components: [] },
};

function folderId(store: MailStore, kind: PimCollection): string {
  const f = store.folderByType(SHAPES[kind].type);
  if (!f) throw new Error(`no default ${kind} folder`);
  return f.id;
}

export async function exportCollection(store: MailStore, pim: PimStore, kind: PimCollection): Promise<string> {
  const id = folderId(store, kind);
  const objects: string[] = [];
  for (let after: string | undefined; ; ) {
    const page = await pim.list(id, { afterItemId: after, limit: 500 });
    objects.push(...page.map((i) => i.data));
    if (page.length < 500) break;
    after = page[page.length - 1].itemId;
  }
  return kind === "contacts" ? joinVcards(objects) : joinCalendar(objects);
}

/** Replaces the collection with the objects of `text` (matched by UID). Throws PimConversionError on bad input. */
export async function importCollection(
  store: MailStore,
  pim: PimStore,
  kind: PimCollection,
  text: string,
): Promise<PimImportResult & { folderId: string; skipped: number }> {
  const id = folderId(store, kind);
  const { objects, skipped } =
    kind === "contacts" ? { objects: splitVcards(text), skipped: 0 } : splitCalendar(text, SHAPES[kind].components);
  return { ...(await pim.replaceAll(id, objects)), folderId: id, skipped };
}
