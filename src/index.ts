import { app } from "./http/app";
import { runScheduled } from "./service/cron";

export { Mailbox } from "./mailbox/mailbox";

export default {
  fetch: app.fetch,
  async scheduled(controller, env) {
    await runScheduled(controller, env);
  },
} satisfies ExportedHandler<Env>;
