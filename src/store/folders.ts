import { FolderType, type FolderTypeValue, type ItemClass } from "./types";

/** Created on first use, in this order, so their ids are the same in every mailbox ("1" = Inbox …). */
export const DEFAULT_FOLDERS: { type: FolderTypeValue; name: string }[] = [
  { type: FolderType.Inbox, name: "Inbox" },
  { type: FolderType.Drafts, name: "Drafts" },
  { type: FolderType.DeletedItems, name: "Deleted Items" },
  { type: FolderType.SentItems, name: "Sent Items" },
  { type: FolderType.Outbox, name: "Outbox" },
  { type: FolderType.Calendar, name: "Calendar" },
  { type: FolderType.Contacts, name: "Contacts" },
  { type: FolderType.Tasks, name: "Tasks" },
  { type: FolderType.Notes, name: "Notes" },
];

const DEFAULT_TYPES = new Set<number>(DEFAULT_FOLDERS.map((f) => f.type));

export function isDefaultType(type: number): boolean {
  return DEFAULT_TYPES.has(type);
}

/** Types a user (or device FolderCreate) may create: [MS-ASCMD] 2.2.3.186.3, user-created types. */
export function isUserType(type: number): boolean {
  return type === FolderType.Generic || (type >= FolderType.UserMail && type <= FolderType.UserNotes);
}

export function itemClassOf(type: number): ItemClass {
  switch (type) {
    case FolderType.Calendar:
    case FolderType.UserCalendar:
      return "Calendar";
    case FolderType.Contacts:
    case FolderType.UserContacts:
      return "Contacts";
    case FolderType.Tasks:
    case FolderType.UserTasks:
      return "Tasks";
    case FolderType.Notes:
    case FolderType.UserNotes:
      return "Notes";
    default:
      return "Email";
  }
}

/** Folder display names: non-empty, ≤ 256 chars, no control characters, no leading/trailing blanks. */
export function validFolderName(name: string): boolean {
  return name.length > 0 && name.length <= 256 && name === name.trim() && !/[\u0000-\u001f\u007f]/.test(name);
}
