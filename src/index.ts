import { app } from "./http/app";
import { receiveEmail } from "./mailbox/inbound-email";

export { Mailbox } from "./mailbox/mailbox";

export default {
  fetch: app.fetch,
  email: receiveEmail,
} satisfies ExportedHandler<Env>;
