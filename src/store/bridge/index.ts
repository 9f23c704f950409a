// The stores of a bridged mailbox: IMAP for mail plus CalDAV/CardDAV collections, behind MailStore/PimStore.
export { BridgeMailStore } from "./composite";
export { LoginDavStore, type Login } from "./login-dav";
