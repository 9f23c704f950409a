import { app } from "./http/app";
import { receiveEmail } from "./mailbox/inbound-email";
import { runScheduled } from "./service/cron";

export { Mailbox } from "./mailbox/mailbox";

export default {
  fetch: app.fetch,
  async scheduled(controller, env) {
    await runScheduled(controller, env);
  },
  email: receiveEmail,
} satisfies ExportedHandler<Env>;
