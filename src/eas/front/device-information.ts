import type { DeviceInformation } from "../../mailbox/contract";
import type { WbxmlElement } from "../../wbxml/types";
import { child, childText } from "../../wbxml/tree";

/** Reads `settings:DeviceInformation/Set` ([MS-ASCMD] 2.2.3.45), sent in Settings and, from 14.1, in Provision
 *  ([MS-ASPROV] 2.2.2.53). Values longer than the schema's 1024 characters are cut, not refused. */
export function readDeviceInformation(deviceInformation: WbxmlElement | undefined): DeviceInformation | undefined {
  const set = child(deviceInformation, "Set", "Settings");
  if (!set) return undefined;
  const v = (name: string) => childText(set, name, "Settings")?.slice(0, 1024);
  const sms = v("EnableOutboundSMS");
  return {
    model: v("Model"),
    imei: v("IMEI"),
    friendlyName: v("FriendlyName"),
    os: v("OS"),
    osLanguage: v("OSLanguage"),
    phoneNumber: v("PhoneNumber"),
    userAgent: v("UserAgent"),
    enableOutboundSms: sms === undefined ? undefined : sms === "1",
    mobileOperator: v("MobileOperator"),
  };
}
