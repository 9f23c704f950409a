// What a phone keeps of one bridged mail folder, driven the way devices react to Sync answers ([MS-ASCMD]
// 2.2.3.177.16 Sync Status): 1 applies Add/Change/Delete, 3 (invalid key) drops everything and starts again
// from SyncKey 0, 8/12 (folder gone / hierarchy changed) runs FolderSync and follows the folder by name.
// Used to check "no duplicates on the phone" after a server-side change such as a UIDVALIDITY reset.
import { child, childText, type WbxmlElement } from "../../src/wbxml/index";
import { A, collection, commands, folderSync, type PhoneFolder } from "./bridge-client";
import type { Phone } from "./phone";
import { syncRequest } from "./sync-requests";

export class PhoneFolderModel {
  items = new Map<string, WbxmlElement>();
  key = "0";
  /** Sync statuses seen, in order (what the server answered along the way). */
  statuses: string[] = [];
  folderKey = "0";

  constructor(
    private readonly phone: Phone,
    public folder: PhoneFolder,
  ) {}

  subjects(): string[] {
    return [...this.items.values()].map((d) => childText(d, "Subject", "Email") ?? "").sort();
  }

  /** Syncs until the server has nothing more, reacting to statuses like a device; at most `rounds` requests. */
  async sync(rounds = 20): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      if (this.key === "0") {
        const boot = await this.phone.command("Sync", syncRequest(this.folder.id, "0"));
        const s = childText(collection(boot), "Status") ?? childText(boot.tree, "Status") ?? `HTTP ${boot.status}`;
        this.statuses.push(s);
        if (s !== "1") {
          if (await this.followFolder(s)) continue;
          throw new Error(`Sync from 0: Status ${s}\n${boot.xml}`);
        }
        this.key = childText(collection(boot), "SyncKey")!;
        this.items.clear();
        continue;
      }
      const r = await this.phone.command("Sync", syncRequest(this.folder.id, this.key, [A("GetChanges"), A("WindowSize", 100)]));
      if (r.status !== 200) throw new Error(`Sync: HTTP ${r.status}`);
      if (r.raw.length === 0) return;
      const c = collection(r);
      const s = childText(c, "Status") ?? childText(r.tree, "Status") ?? "?";
      this.statuses.push(s);
      if (s === "3") {
        this.key = "0";
        continue;
      }
      if (s !== "1") {
        if (await this.followFolder(s)) continue;
        throw new Error(`Sync: Status ${s}\n${r.xml}`);
      }
      for (const a of commands(r, "Add")) {
        const id = childText(a, "ServerId")!;
        if (this.items.has(id)) throw new Error(`Add of ServerId ${id} the phone already has`);
        this.items.set(id, child(a, "ApplicationData")!);
      }
      for (const d of [...commands(r, "Delete"), ...commands(r, "SoftDelete")]) this.items.delete(childText(d, "ServerId")!);
      this.key = childText(c, "SyncKey")!;
      if (!child(c, "MoreAvailable")) return;
    }
    throw new Error(`Sync did not settle in ${rounds} requests (statuses ${this.statuses.join(",")})`);
  }

  /** Status 8 or 12: FolderSync, then the folder of the same name (a new id means a new, empty folder). */
  private async followFolder(status: string): Promise<boolean> {
    if (status !== "8" && status !== "12") return false;
    const fs = await folderSync(this.phone, this.folderKey);
    this.folderKey = fs.key;
    const same = fs.folders.find((f) => f.name === this.folder.name && f.parentId === this.folder.parentId);
    if (!same) throw new Error(`folder ${this.folder.name} gone after Status ${status}`);
    if (same.id !== this.folder.id) this.items.clear();
    this.folder = same;
    this.key = "0";
    return true;
  }
}
