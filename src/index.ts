import { app } from "./http/app";
import { Mailbox as MailboxObject } from "./mailbox/mailbox";
import { d1RecipientAccounts } from "./service/accounts";
import { runScheduled } from "./service/cron";
import { receiveEmail } from "./service/inbound-email";

/** The mailbox Durable Object, given the Worker side's account lookup (D1) for routing its outgoing mail. */
export class Mailbox extends MailboxObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, d1RecipientAccounts(env.DB));
  }
}

export default {
  fetch: app.fetch,
  email: receiveEmail,
  async scheduled(controller, env, _ctx) {
    await runScheduled(controller, env);
  },
} satisfies ExportedHandler<Env>;
