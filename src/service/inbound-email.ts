// The Workers email() handler (Email Routing): known recipients get the message in their Inbox, unknown ones
// are refused with setReject.
import { drizzle } from "drizzle-orm/d1";
import { DEFAULT_MAX_SEND_BYTES } from "../mailbox/contract";
import { recipientAccount } from "./accounts";
import { readStreamUpTo } from "./bounded-body";

/** The Workers email() handler's work: refuse unknown recipients, else deliver into their Inbox. */
export async function receiveEmail(message: ForwardableEmailMessage, env: Env): Promise<void> {
  const address = await recipientAccount(drizzle(env.DB), message.to);
  if (!address) {
    message.setReject("unknown mailbox");
    return;
  }
  // The message-size limit (as for SendMail and the admin import), read no further whatever rawSize says
  // (issue 13 §3): Email Routing bounds it too, `wrangler dev`'s simulator does not.
  const max = Number((env as { MAX_SEND_BYTES?: string }).MAX_SEND_BYTES || DEFAULT_MAX_SEND_BYTES);
  const raw = message.rawSize > max ? null : await readStreamUpTo(message.raw, max);
  if (!raw) {
    if (message.rawSize > max) await message.raw.cancel().catch(() => undefined);
    message.setReject(`552 5.3.4 message too large (at most ${max} bytes)`);
    return;
  }
  await env.MAILBOX.getByName(address).deliver(raw);
}
