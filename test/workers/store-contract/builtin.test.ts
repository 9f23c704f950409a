// The store contract against the built-in store: SQLite in the mailbox Durable Object, large parts in R2,
// as the mailbox object builds it (src/mailbox/stores.ts) for a mailbox without a backend.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Mailbox } from "../../../src/mailbox/mailbox";
import type { MailBackend, PimBackend } from "./backend";
import { mailStoreContract } from "./mail-contract";
import { pimStoreContract } from "./pim-contract";

const stub = () => env.MAILBOX.getByName("contract-builtin@example.test");
const restart = () => evictDurableObject(stub());

const mail: MailBackend = {
  name: "built-in (SQLite + R2)",
  caps: { pimFolders: "own" },
  run: (fn) => runInDurableObject(stub(), (mb: Mailbox) => fn(mb.store)),
  restart,
};

const pim: PimBackend = {
  name: "built-in (SQLite)",
  caps: { notes: true, uidChange: true },
  run: (fn) => runInDurableObject(stub(), (mb: Mailbox) => fn(mb.pim)),
  restart,
};

mailStoreContract(mail);
pimStoreContract(pim);
