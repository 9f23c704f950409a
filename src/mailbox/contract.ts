// The mailbox object's public face: every type and constant the Worker side (http/, eas/, service/, admin/) needs
// to call the mailbox Durable Object over RPC or to read what it returns. Other rooms import this file only, never
// the object's internals (the boundary check in `npm test` enforces it, see ARCHITECTURE.md).
export type { Mailbox } from "./mailbox";
export type { BackendCredentials, BridgeBackend, ServerEndpoint } from "./backend";
export type { DeviceGateState, DeviceInformation, DeviceRecord, ProvisionInput, ProvisionOutcome } from "./devices";
export type { AccessRule, AccessState, GlobalAccess } from "./device-access";
export type { PingBounds, PingFolder, PingInput } from "./ping-params";
export { WAIT_HEADER, type WaitKind, type WaitMessage, type WaitRequest } from "./waits";
export { safetyPollSeconds } from "./bridge-push";
export type { FetchRequest, FetchResult } from "./item-ops";
export { OofSettingsSchema, type OofMessage, type OofSettings } from "./oof";
export type { SubmitRequest, SubmitResult } from "./submit";
export { servesDevices, type MailboxSubscriptionState, type MailboxSubscriptionStatus } from "./subscription-state";
