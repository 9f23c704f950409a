// Calendar, Contacts, Tasks and Notes collections for the Sync engine: the PIM store seen through
// CollectionSource, with the conversions of src/eas/pim (iCalendar/vCard <-> EAS ApplicationData).
import { changeInstance, deleteInstance, eventFromEas, eventToEas, type CalendarContext } from "../eas/pim/calendar";
import type { DeviceFamily } from "../eas/pim/contact-dates";
import { contactFromEas, contactToEas } from "../eas/pim/contacts";
import { contactFamily } from "../eas/quirks";
import { PimConversionError } from "../formats/errors";
import { noteFromEas, noteToEas } from "../eas/pim/notes";
import { taskFromEas, taskToEas } from "../eas/pim/tasks";
import { zoneForTimeZoneBlob } from "../formats/timezone-rule";
import { childText } from "../wbxml/tree";
import type { WbxmlElement } from "../wbxml/types";
import type { ChangePayload, ClientAdd, ClientMailChange, DeviceContext, ItemOptions, ItemPayload } from "../eas/sync-types";
import { PimConflictError, type PimStamp, type PimStore } from "../store/pim-types";
import type { ListOptions } from "../store/types";
import type { CollectionSource } from "./collection-source";
import { cleanTree } from "./mail-item";

export type PimClass = "Calendar" | "Contacts" | "Tasks" | "Notes";

export interface PimSettings {
  /** The mailbox address (organizer checks). */
  owner?: string;
  /** The zone for all-day and floating items when the device has not shown its own. */
  defaultZone: string;
}

/** Per-client conventions: the device-quirks table decides (src/eas/quirks.ts). */
export function deviceFamily(d: DeviceContext | undefined): DeviceFamily {
  return contactFamily(d);
}

const version = (v: string | undefined) => Number.parseFloat(v ?? "14.1") || 14.1;

function truncation(opts: ItemOptions): number | undefined {
  return opts.bodyPreferences.find((p) => p.type === 1)?.truncationSize;
}

export class PimSource implements CollectionSource<PimStamp> {
  constructor(
    private readonly pim: PimStore,
    private readonly itemClass: PimClass,
    private readonly settings: () => PimSettings,
    /** The zone a device last used in a calendar item it sent (remembered by the mailbox object). */
    private readonly deviceZones: { get(deviceId: string): string | undefined; set(deviceId: string, zone: string): void },
  ) {}

  status(folderId: string) {
    return this.pim.status(folderId);
  }

  list(folderId: string, opts: ListOptions) {
    return this.pim.stamps(folderId, opts);
  }

  changesSince(folderId: string, modseq: number, limit: number) {
    return this.pim.changesSince(folderId, modseq, limit);
  }

  async stamp(folderId: string, itemId: string): Promise<PimStamp | null> {
    const item = await this.pim.get(folderId, itemId);
    return item ? { itemId: item.itemId, folderId, modseq: item.modseq, received: item.horizon } : null;
  }

  count(folderId: string, since?: number) {
    return this.pim.count(folderId, since);
  }

  async render(s: PimStamp, opts: ItemOptions): Promise<ItemPayload> {
    return { data: (await this.toEas(s, opts)).map(cleanTree) };
  }

  async renderChange(s: PimStamp, opts: ItemOptions): Promise<ChangePayload> {
    return { data: (await this.toEas(s, opts)).map(cleanTree) };
  }

  async applyChange(s: PimStamp, ch: ClientMailChange): Promise<boolean | "conflict"> {
    const folderId = s.folderId;
    const item = await this.pim.get(folderId, s.itemId);
    if (!item || ch.invalid) return false;
    if (!ch.data && !ch.deleteInstance) return true; // nothing to apply
    try {
      const data = ch.data ?? { ns: "AirSync", name: "ApplicationData", children: [] };
      this.learnZone(data, ch.device);
      const next = this.fromEas(data, ch.device, ch.supported, item.data, ch.instanceId, ch.deleteInstance);
      // If-Match on what the device was shown: a change made on the server meanwhile (another client of the
      // CalDAV/CardDAV server) wins, and the device gets the server's version.
      await this.pim.put(folderId, next, { itemId: item.itemId, ifMatch: item.etag });
      return true;
    } catch (e) {
      if (e instanceof PimConversionError) return false;
      if (e instanceof PimConflictError) return "conflict";
      throw e;
    }
  }

  async add(folderId: string, a: ClientAdd): Promise<string> {
    if (!a.data) throw new PimConversionError("Add without ApplicationData");
    this.learnZone(a.data, a.device);
    // A repeated Add (same addKey) gets the same UID, hence the same resource name. When a first attempt's
    // object is on the server while its answer was lost, the store either saw it (a pull before this write:
    // the write replaces it by UID) or its create (If-None-Match: *) is refused with 412, a conflict: the
    // object under our derived UID is that first attempt, already there. Items that carry their own UID
    // (calendar, 16.x) keep it and the usual rules.
    const uid = a.addKey ? await uidFor(`${this.settings().owner ?? ""}\n${a.addKey}`) : undefined;
    const data = this.fromEas(a.data, a.device, undefined, undefined, undefined, undefined, uid);
    try {
      return (await this.pim.put(folderId, data)).itemId;
    } catch (e) {
      const first = uid && e instanceof PimConflictError ? await this.pim.getByUid(folderId, uid) : null;
      if (first) return first.itemId;
      throw e;
    }
  }

  async remove(s: PimStamp, folderId: string): Promise<void> {
    try {
      await this.pim.delete(folderId, s.itemId);
    } catch (e) {
      // Changed on the server since the device saw it: the server wins, the item stays and, no longer in
      // the device's image, goes down again as an Add.
      if (!(e instanceof PimConflictError)) throw e;
    }
  }

  // ---------- conversions ----------

  private zone(device: DeviceContext | undefined): string {
    return (device && this.deviceZones.get(device.deviceId)) ?? this.settings().defaultZone;
  }

  private learnZone(data: WbxmlElement, device: DeviceContext | undefined) {
    const blob = this.itemClass === "Calendar" ? childText(data, "Timezone", "Calendar")?.trim() : undefined;
    if (!blob || !device) return;
    try {
      this.deviceZones.set(device.deviceId, zoneForTimeZoneBlob(blob, new Date().getUTCFullYear()));
    } catch {
      /* a bad blob fails the conversion itself */
    }
  }

  private async toEas(s: PimStamp, opts: ItemOptions): Promise<WbxmlElement[]> {
    const item = await this.pim.get(s.folderId, s.itemId);
    if (!item) return [];
    const v = version(opts.protocolVersion);
    const base = { version: v, truncationSize: truncation(opts) };
    const { owner } = this.settings();
    // All-day events for 14.x are local midnights: the device's own zone when it has shown one.
    const defaultZone = this.zone(opts.device);
    switch (this.itemClass) {
      case "Calendar":
        return eventToEas(item.data, { ...base, defaultZone, userEmail: owner });
      case "Contacts": {
        const device = opts.device;
        return contactToEas(item.data, {
          ...base,
          deviceFamily: deviceFamily(device),
          deviceZone: device ? this.deviceZones.get(device.deviceId) : undefined,
        });
      }
      case "Tasks":
        return taskToEas(item.data, { ...base, defaultZone });
      case "Notes":
        return noteToEas(item.data, base);
    }
  }

  private fromEas(
    data: WbxmlElement,
    device: DeviceContext | undefined,
    supported: string[] | undefined,
    previous: string | undefined,
    instanceId?: string,
    deleteOne?: boolean,
    uid?: string,
  ): string {
    const newUid = uid ? () => uid : undefined;
    const v = version(device?.protocolVersion);
    const set = supported ? new Set(supported) : undefined;
    const zone = this.zone(device);
    switch (this.itemClass) {
      case "Calendar": {
        const ctx: CalendarContext = { version: v, defaultZone: zone, userEmail: this.settings().owner, supported: set, newUid };
        if (instanceId && previous)
          return deleteOne ? deleteInstance(previous, instanceId, ctx) : changeInstance(previous, instanceId, data, ctx);
        return eventFromEas(data, ctx, previous);
      }
      case "Contacts":
        return contactFromEas(
          data,
          {
            version: v,
            supported: set,
            deviceFamily: deviceFamily(device),
            deviceZone: device ? this.deviceZones.get(device.deviceId) : undefined,
            newUid,
          },
          previous,
        );
      case "Tasks":
        return taskFromEas(data, { version: v, defaultZone: zone, supported: set, newUid }, previous);
      case "Notes":
        return noteFromEas(data, { version: v, newUid }, previous);
    }
  }
}

/** A UID derived from `key`: 32 hex digits of its SHA-256 (the same key, the same UID). */
async function uidFor(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  return `eas-${[...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
