// Shapes and value rules shared by both query forms ([MS-ASHTTP] 2.2.1.1.1).
import { HttpProblem } from "./http-problem";
import type { ProtocolVersion } from "./protocol";

export interface EasQuery {
  form: "plain" | "base64";
  /** Command name as in [MS-ASCMD] (not checked against the registry here). */
  cmd: string;
  /** The User parameter as sent (any login form); absent when the device did not send it. */
  user?: string;
  /** 1 to 32 of [A-Za-z0-9_-]; see `deviceIdFromBytes` for the base64 form. */
  deviceId: string;
  deviceType: string;
  /** Base64 form only: the protocol version field (takes the place of the MS-ASProtocolVersion header). */
  protocolVersion?: ProtocolVersion;
  /** Base64 form only: the policy key field as a decimal string (takes the place of X-MS-PolicyKey). */
  policyKey?: string;
  /** Base64 form only: the locale field (an [MS-LCID] value). */
  locale?: number;
  /** Base64 form only: the AcceptMultiPart bit of the Options parameter. */
  acceptMultiPart?: boolean;
  /** Command parameters (AttachmentName, CollectionId, ItemId, LongId, Occurrence, SaveInSent as "T"/"F"). */
  params: Record<string, string>;
}

export function badQuery(message: string): HttpProblem {
  return new HttpProblem(400, `Bad Request: ${message}`);
}

/** device-id = 1*32(ALPHA / DIGIT) (MS-ASHTTP_R98); "-" and "_" tolerated for clients that add them. */
export const DEVICE_ID = /^[A-Za-z0-9_-]{1,32}$/;
/** device-type = 1*VCHAR (MS-ASHTTP_R98), bounded. */
export const DEVICE_TYPE = /^[\x21-\x7e]{1,64}$/;
export const COMMAND_NAME = /^[A-Za-z]{1,32}$/;
const MAX_VALUE_LENGTH = 1024;

/** A parameter value: 1 to 1024 characters, none of them a control character. */
export function isPrintable(v: string): boolean {
  return v.length > 0 && v.length <= MAX_VALUE_LENGTH && !/[\u0000-\u001f\u007f]/.test(v);
}
