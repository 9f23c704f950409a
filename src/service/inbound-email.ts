// The Workers email() handler (Email Routing): known recipients get the message in their Inbox, unknown ones
// are refused with setReject.
import { drizzle } from "drizzle-orm/d1";
import { recipientAccount } from "./accounts";

/** The Workers email() handler's work: refuse unknown recipients, else deliver into their Inbox. */
export async function receiveEmail(message: ForwardableEmailMessage, env: Env): Promise<void> {
  const address = await recipientAccount(drizzle(env.DB), message.to);
  if (!address) {
    message.setReject("unknown mailbox");
    return;
  }
  const raw = new Uint8Array(await new Response(message.raw).arrayBuffer());
  await env.MAILBOX.getByName(address).deliver(raw);
}
