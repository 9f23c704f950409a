// A real store change without notifying anyone: what a mail server does before it announces the change.
// Waits now ask the sync engine (Mailbox.pendingChanges) whether there is something to fetch, so a test
// that wakes a wait must first change the store.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Mailbox } from "../../../src/mailbox/mailbox";

export async function touchFolder(user: string, folderId = "1"): Promise<string> {
  const raw = new TextEncoder().encode(`From: a@example.test\r\nTo: ${user}\r\nSubject: touch\r\n\r\nchange\r\n`);
  return runInDurableObject(env.MAILBOX.getByName(user), (mb: Mailbox) => mb.store.appendMessage(folderId, raw));
}
