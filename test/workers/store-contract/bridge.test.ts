// The store contract against a bridged mailbox as the mailbox object builds it (src/mailbox/stores.ts):
// BridgeMailStore (ImapStore on the test Dovecot + the DAV collections in one folder list) for mail and
// LoginDavStore (DavPimStore on the test Radicale with the login from memory) for PIM. The login is handed
// over before each call, as the front door does with each device request; a restart forgets it.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { beforeAll } from "vitest";
import type { Mailbox } from "../../../src/mailbox/mailbox";
import { account, backend } from "../bridge-mailbox-helpers";
import type { MailBackend, PimBackend } from "./backend";
import { makeDavCollections } from "./dav-account";
import { mailStoreContract } from "./mail-contract";
import { pimStoreContract } from "./pim-contract";
import { env } from "cloudflare:workers";

// "kim" of BRIDGE_MAILBOX_USERS (test/servers/dovecot-global-setup.ts) and RADICALE_BRIDGE_USERS.
const kim = account("kim");

beforeAll(async () => {
  await makeDavCollections({ url: `${env.RADICALE_URL}/`, ...kim.login });
  await kim.mailbox().setBackend(backend({ dav: true }));
});

async function inMailbox<T>(fn: (mb: Mailbox) => Promise<T>): Promise<T> {
  await kim.mailbox().useCredentials(kim.login);
  return runInDurableObject(kim.mailbox(), fn);
}

const restart = () => evictDurableObject(kim.mailbox());

const mail: MailBackend = {
  name: "bridge (IMAP + DAV)",
  caps: { pimFolders: "listed" },
  run: (fn) => inMailbox((mb) => fn(mb.store)),
  restart,
};

const pim: PimBackend = {
  name: "bridge (DAV with the login from memory)",
  caps: { notes: false, uidChange: false },
  run: (fn) => inMailbox((mb) => fn(mb.pim)),
  restart,
};

mailStoreContract(mail);
pimStoreContract(pim);
