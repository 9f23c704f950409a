/** What a login check answers (src/service/directory.ts for both kinds of mailbox). */
export type AuthResult =
  /** `bridged`: the mailbox lives on the provider's servers; the front door hands the login to its object. */
  | { ok: true; address: string; bridged?: { push: "notify" | "poll" } }
  /** invalid: not an address; unknown: no such account; locked: too many failures, password not even checked. */
  | { ok: false; reason: "invalid" | "unknown" | "wrong_password" | "locked"; lockedUntil?: Date };
