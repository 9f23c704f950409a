// The CalDAV/CardDAV bridge: the PIM store of a bridged mailbox (see store.ts) and its client.
export { DavPimStore, type DavPimStoreOptions, davLocalFolders } from "./store";
export { DavClient, DavHttpError, type DavAccount, type DavClientOptions, type DavCollectionInfo } from "./client";
