// Mailbox lifecycle for operators (issue 17 §6): does a mailbox exist, list and search, change a built-in
// account's password, delete a mailbox. The D1 side lives here (admin routes only call these functions).
import { eq } from "drizzle-orm";
import { accounts, mailboxes } from "../db/schema";
import type { ServiceDeps } from "./deps";

/** True when the address has a login (built-in account) or a mailbox record (ordered or bridged). */
export async function mailboxExists(d: ServiceDeps, address: string): Promise<boolean> {
  const [acc] = await d.db.select({ a: accounts.address }).from(accounts).where(eq(accounts.address, address)).limit(1);
  if (acc) return true;
  const [mbx] = await d.db.select({ a: mailboxes.address }).from(mailboxes).where(eq(mailboxes.address, address)).limit(1);
  return Boolean(mbx);
}
