// The store contract against ImapStore on the test Dovecot (test/servers/dovecot.ts, plain IMAP on
// loopback): the store and its mirror (folder ids, UID ↔ item ids, modseq) live in a mailbox object's
// SQLite, a new ImapStore per call as the mailbox object builds it. IMAP holds mail only: it declares no
// PIM folders (the bridge adds CalDAV/CardDAV; see bridge.test.ts), and the contract checks that claim.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import { ImapStore } from "../../../src/store/imap";
import type { MailBackend } from "./backend";
import { mailStoreContract } from "./mail-contract";

// The account CONTRACT_IMAP_USER of test/servers/dovecot-global-setup.ts (password "<user> secret").
const USER = "lou";
const dovecot = inject("dovecot");
const stub = () => env.MAILBOX.getByName("contract-imap@example.test");

const imap: MailBackend = {
  name: "IMAP (Dovecot)",
  caps: { pimFolders: "none" },
  run: (fn) =>
    runInDurableObject(stub(), async (_mb, state) => {
      const store = new ImapStore(state.storage, {
        endpoint: { host: dovecot.host, port: dovecot.imapPort, tls: "none" },
        credentials: { user: USER, password: `${USER} secret` },
      });
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    }),
  restart: () => evictDurableObject(stub()),
};

mailStoreContract(imap);
