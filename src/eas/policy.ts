import { z } from "zod";
import type { WbxmlElement } from "../wbxml/types";
import { PROTOCOL_VERSIONS, tagInVersion, type ProtocolVersion } from "../wbxml/codepages";
import { el, elements } from "../wbxml/tree";

/**
 * A mailbox's device security policy ([MS-ASPROV] 2.2.2.27 EASProvisionDoc). Null on a numeric setting means
 * "not set". The default enforces nothing: like Exchange's built-in Default policy, a phone that asks is
 * still answered with a full document (iOS always provisions), but nobody is forced to provision.
 */
export const PolicySchema = z.object({
  devicePasswordEnabled: z.boolean().default(false),
  alphanumericDevicePasswordRequired: z.boolean().default(false),
  passwordRecoveryEnabled: z.boolean().default(false),
  requireStorageCardEncryption: z.boolean().default(false),
  attachmentsEnabled: z.boolean().default(true),
  minDevicePasswordLength: z.number().int().min(1).max(16).nullable().default(null),
  /** Seconds; [MS-ASPROV] 2.2.2.36: 1..9999. */
  maxInactivityTimeDeviceLock: z.number().int().min(1).max(9999).nullable().default(null),
  maxDevicePasswordFailedAttempts: z.number().int().min(4).max(16).nullable().default(null),
  maxAttachmentSize: z.number().int().min(1).nullable().default(null),
  allowSimpleDevicePassword: z.boolean().default(true),
  /** Days. */
  devicePasswordExpiration: z.number().int().min(1).max(730).nullable().default(null),
  devicePasswordHistory: z.number().int().min(0).max(50).default(0),
  allowStorageCard: z.boolean().default(true),
  allowCamera: z.boolean().default(true),
  requireDeviceEncryption: z.boolean().default(false),
  /** 1..4 character groups (only meaningful with alphanumeric passwords). */
  minDevicePasswordComplexCharacters: z.number().int().min(1).max(4).default(1),
  allowBrowser: z.boolean().default(true),
  allowConsumerEmail: z.boolean().default(true),
  allowHTMLEmail: z.boolean().default(true),
  /** Server side, not sent: let devices that cannot apply every setting sync anyway ([MS-ASPROV] 3.2.5.1.2.1). */
  allowNonProvisionableDevices: z.boolean().default(false),
});

export type Policy = z.infer<typeof PolicySchema>;

export const DEFAULT_POLICY: Policy = PolicySchema.parse({});

/** A policy enforces something as soon as it differs from the default in any setting the device applies. */
export function isEnforced(p: Policy): boolean {
  return (Object.keys(DEFAULT_POLICY) as (keyof Policy)[]).some((k) => k !== "allowNonProvisionableDevices" && p[k] !== DEFAULT_POLICY[k]);
}

export const POLICY_TYPE = "MS-EAS-Provisioning-WBXML";
/** [MS-ASPROV] 2.2.2.43 PolicyType for protocol 2.5: the policy is a Windows Mobile provisioning XML string. */
export const POLICY_TYPE_25 = "MS-WAP-Provisioning-XML";

/** The PolicyType a device speaking `protocolVersion` asks for and gets. */
export function policyTypeFor(protocolVersion: string): string {
  return protocolVersion === "2.5" ? POLICY_TYPE_25 : POLICY_TYPE;
}

// Registry branches of the Windows Mobile Local Authentication Subsystem (LASSD) that the 2.5 document sets
// ([MS-ASPROV] 2.2.2.24.2; the {50C13377-…} authentication event is "device unlock").
const LASSD = "HKLM\\Comm\\Security\\Policy\\LASSD";
const UNLOCK_EVENT = `${LASSD}\\AE\\{50C13377-C66D-400C-889E-C316FC4AB374}`;
const PASSWORD_LAP = `${LASSD}\\LAP\\lap_pw`;

/**
 * The Data string of a 2.5 Provision response ([MS-ASPROV] 2.2.2.24.2): a wap-provisioningdoc with the
 * SecurityPolicy provider (4131: 0 = a device password is required, 1 = not; 4133: 0 = the device wipes itself
 * after DeviceWipeThreshold failed unlocks, 1 = it does not) and, when a password is required, the Registry
 * provider's LASSD settings: unlock after inactivity (minutes), wipe threshold, when to ask for the codeword
 * (half the threshold, at most 8), minimum length, complexity (0 = alphanumeric, 2 = PIN). Windows Mobile 5
 * reads only these; settings 2.5 cannot express (encryption, camera, ...) are left out. What Exchange 2003 SP2
 * and 2007 sent for 2.5 devices was read for the meaning of each value; nothing of theirs is copied.
 */
export function wapProvisioningDoc(p: Policy): string {
  const parm = (name: string, value: number) => `<parm name="${name}" value="${value}"/>`;
  const wipeAfter = p.devicePasswordEnabled ? p.maxDevicePasswordFailedAttempts : null;
  let doc = `<wap-provisioningdoc><characteristic type="SecurityPolicy">${parm("4131", p.devicePasswordEnabled ? 0 : 1)}${parm("4133", wipeAfter === null ? 1 : 0)}</characteristic>`;
  if (p.devicePasswordEnabled) {
    const lockMinutes =
      p.maxInactivityTimeDeviceLock === null ? 0 : Math.min(9999, Math.max(1, Math.ceil(p.maxInactivityTimeDeviceLock / 60)));
    const ch = (type: string, body: string) => `<characteristic type="${type}">${body}</characteristic>`;
    doc += ch(
      "Registry",
      ch(UNLOCK_EVENT, parm("AEFrequencyType", lockMinutes ? 1 : 0) + parm("AEFrequencyValue", lockMinutes)) +
        ch(LASSD, parm("DeviceWipeThreshold", wipeAfter ?? 0)) +
        ch(LASSD, parm("CodewordFrequency", wipeAfter === null ? -1 : Math.min(8, Math.floor(wipeAfter / 2)))) +
        ch(PASSWORD_LAP, parm("MinimumPasswordLength", p.minDevicePasswordLength ?? 1)) +
        ch(PASSWORD_LAP, parm("PasswordComplexity", p.alphanumericDevicePasswordRequired ? 0 : 2)),
    );
  }
  return `${doc}</wap-provisioningdoc>`;
}

const P = "Provision";
const bool = (b: boolean) => (b ? "1" : "0");
/** MinDevicePasswordLength, MaxInactivityTimeDeviceLock, MaxDevicePasswordFailedAttempts, MaxAttachmentSize and
 *  DevicePasswordExpiration may be empty ([MS-ASPROV] 3.2.5.1.1); every other setting needs a value (Provision.xsd). */
const num = (n: number | null) => (n === null ? null : String(n));

/** The EASProvisionDoc for a device speaking `protocolVersion`: only the settings that version knows (12.0 has a
 *  subset, [MS-ASWBXML] code page 14), children in Provision.xsd order (the order is enforced by the schema). */
export function provisionDoc(p: Policy, protocolVersion: string): WbxmlElement {
  const doc = fullProvisionDoc(p);
  const v = protocolVersion as ProtocolVersion;
  if (!PROTOCOL_VERSIONS.includes(v)) return doc;
  return { ...doc, children: elements(doc).filter((c) => tagInVersion("Provision", c.name, v)) };
}

function fullProvisionDoc(p: Policy): WbxmlElement {
  const s = (name: string, value: string | null) => el(P, name, value ?? undefined);
  return el(
    P,
    "EASProvisionDoc",
    s("DevicePasswordEnabled", bool(p.devicePasswordEnabled)),
    s("AlphanumericDevicePasswordRequired", bool(p.alphanumericDevicePasswordRequired)),
    s("PasswordRecoveryEnabled", bool(p.passwordRecoveryEnabled)),
    s("RequireStorageCardEncryption", bool(p.requireStorageCardEncryption)),
    s("AttachmentsEnabled", bool(p.attachmentsEnabled)),
    s("MinDevicePasswordLength", num(p.minDevicePasswordLength)),
    s("MaxInactivityTimeDeviceLock", num(p.maxInactivityTimeDeviceLock)),
    s("MaxDevicePasswordFailedAttempts", num(p.maxDevicePasswordFailedAttempts)),
    s("MaxAttachmentSize", num(p.maxAttachmentSize)),
    s("AllowSimpleDevicePassword", bool(p.allowSimpleDevicePassword)),
    s("DevicePasswordExpiration", num(p.devicePasswordExpiration)),
    s("DevicePasswordHistory", String(p.devicePasswordHistory)),
    s("AllowStorageCard", bool(p.allowStorageCard)),
    s("AllowCamera", bool(p.allowCamera)),
    s("RequireDeviceEncryption", bool(p.requireDeviceEncryption)),
    s("AllowUnsignedApplications", "1"),
    s("AllowUnsignedInstallationPackages", "1"),
    s("MinDevicePasswordComplexCharacters", String(p.minDevicePasswordComplexCharacters)),
    s("AllowWiFi", "1"),
    s("AllowTextMessaging", "1"),
    s("AllowPOPIMAPEmail", "1"),
    // 2 = allow Bluetooth ([MS-ASPROV] 2.2.2.6).
    s("AllowBluetooth", "2"),
    s("AllowIrDA", "1"),
    s("RequireManualSyncWhenRoaming", "0"),
    s("AllowDesktopSync", "1"),
    s("MaxCalendarAgeFilter", "0"),
    s("AllowHTMLEmail", bool(p.allowHTMLEmail)),
    s("MaxEmailAgeFilter", "0"),
    s("MaxEmailBodyTruncationSize", "-1"),
    s("MaxEmailHTMLBodyTruncationSize", "-1"),
    s("RequireSignedSMIMEMessages", "0"),
    s("RequireEncryptedSMIMEMessages", "0"),
    s("RequireSignedSMIMEAlgorithm", "0"),
    s("RequireEncryptionSMIMEAlgorithm", "0"),
    // 2 = negotiate any algorithm ([MS-ASPROV] 2.2.2.10).
    s("AllowSMIMEEncryptionAlgorithmNegotiation", "2"),
    s("AllowSMIMESoftCerts", "1"),
    s("AllowBrowser", bool(p.allowBrowser)),
    s("AllowConsumerEmail", bool(p.allowConsumerEmail)),
    s("AllowRemoteDesktop", "1"),
    s("AllowInternetSharing", "1"),
  );
}
