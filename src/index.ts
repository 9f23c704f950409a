import { app } from "./http/app";

export { Mailbox } from "./mailbox/mailbox";

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
