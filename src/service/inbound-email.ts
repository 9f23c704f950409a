import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { accounts } from "../db/schema";

/** Lower-cased, trimmed, without angle brackets: the form mailboxes are named and stored under. */
export function normaliseAddress(address: string): string {
  return address.trim().replace(/^<|>$/g, "").trim().toLowerCase();
}

/** The account a recipient address belongs to: exact match first, then without a "+tag" subaddress. */
export async function findMailbox(db: D1Database, recipient: string): Promise<string | null> {
  const address = normaliseAddress(recipient);
  const candidates = [address];
  const plus = /^([^@+]+)\+[^@]*(@.+)$/.exec(address);
  if (plus) candidates.push(plus[1] + plus[2]);
  const orm = drizzle(db);
  for (const candidate of candidates) {
    const row = await orm.select({ address: accounts.address }).from(accounts).where(eq(accounts.address, candidate)).get();
    if (row) return row.address;
  }
  return null;
}

/** The Workers email() handler's work: refuse unknown recipients, else deliver into their Inbox. */
export async function receiveEmail(message: ForwardableEmailMessage, env: Env): Promise<void> {
  const address = await findMailbox(env.DB, message.to);
  if (!address) {
    message.setReject("unknown mailbox");
    return;
  }
  const raw = new Uint8Array(await new Response(message.raw).arrayBuffer());
  await env.MAILBOX.getByName(address).deliver(raw);
}
