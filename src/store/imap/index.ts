export { ImapStore, type ImapStoreConfig } from "./store";
export {
  assertEndpointAllowed,
  verifyImapLogin,
  ImapSession,
  ImapCommandError,
  type ImapEndpoint,
  type ImapCredentials,
  type TlsMode,
} from "./connection";
export { basicAuthMatches, type DovecotPush, parseDovecotPush } from "./dovecot-push";
