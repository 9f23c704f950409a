import { app } from "./http/app";
import { receiveEmail } from "./service/inbound-email";
import { runScheduled } from "./service/cron";

export { Mailbox } from "./mailbox/mailbox";

export default {
  fetch: app.fetch,
  email: receiveEmail,
  async scheduled(controller, env, _ctx) {
    await runScheduled(controller, env);
  },
} satisfies ExportedHandler<Env>;
