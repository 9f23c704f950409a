export { ImapStore, type ImapStoreConfig } from "./store";
export { ImapSession, ImapCommandError, type ImapEndpoint, type ImapCredentials, type TlsMode } from "./connection";
