// A phone speaking WBXML to the Worker inside workerd, for the on-boarding tests (Provision, Settings, gates).
import { exports } from "cloudflare:workers";
import { decodeWbxml, encodeWbxml, fromXml, toXml, type WbxmlElement } from "../../../src/wbxml/index";
import { basic } from "./eas-client";

export interface PhoneOptions {
  user: string;
  password: string;
  deviceId: string;
  deviceType?: string;
  version: string;
  userAgent?: string;
}

export interface PhoneReply {
  status: number;
  headers: Headers;
  body: WbxmlElement | null;
  xml: string;
}

export class Phone {
  policyKey: string | undefined;
  constructor(readonly o: PhoneOptions) {}

  async send(cmd: string, xml: string | null, opts: { policyKey?: string | null } = {}): Promise<PhoneReply> {
    const headers: Record<string, string> = {
      Authorization: basic(this.o.user, this.o.password),
      "MS-ASProtocolVersion": this.o.version,
      "Content-Type": "application/vnd.ms-sync.wbxml",
      "User-Agent": this.o.userAgent ?? "Apple-iPhone15C2/2105.259",
    };
    const key = opts.policyKey === undefined ? this.policyKey : opts.policyKey;
    if (key) headers["X-MS-PolicyKey"] = key;
    const q = `Cmd=${cmd}&User=${encodeURIComponent(this.o.user)}&DeviceId=${this.o.deviceId}&DeviceType=${this.o.deviceType ?? "iPhone"}`;
    const res = await exports.default.fetch(
      new Request(`https://mail.example.test/Microsoft-Server-ActiveSync?${q}`, {
        method: "POST",
        headers,
        body: xml ? encodeWbxml(fromXml(xml)) : undefined,
      }),
    );
    const bytes = new Uint8Array(await res.arrayBuffer());
    const body = bytes.length && res.headers.get("Content-Type")?.includes("wbxml") ? decodeWbxml(bytes) : null;
    return { status: res.status, headers: res.headers, body, xml: body ? toXml(body) : "" };
  }

  /** The two-phase dance ([MS-ASPROV] 3.1.5.1); stores and returns the final key. */
  async provision(deviceInformation = ""): Promise<{ temp: string; final: string; initial: PhoneReply; ack: PhoneReply }> {
    const initial = await this.send(
      "Provision",
      `<Provision xmlns="Provision" xmlns:settings="Settings">${deviceInformation}<Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies></Provision>`,
    );
    const temp = /<PolicyKey>(\d+)<\/PolicyKey>/.exec(initial.xml)?.[1];
    if (!temp) throw new Error(`no temporary key in\n${initial.xml}`);
    const ack = await this.send(
      "Provision",
      `<Provision xmlns="Provision"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType><PolicyKey>${temp}</PolicyKey><Status>1</Status></Policy></Policies></Provision>`,
      { policyKey: temp },
    );
    const final = /<PolicyKey>(\d+)<\/PolicyKey>/.exec(ack.xml)?.[1];
    if (!final) throw new Error(`no final key in\n${ack.xml}`);
    this.policyKey = final;
    return { temp, final, initial, ack };
  }
}

/** Text of the first element with this name in a decoded response (namespace ignored). */
export function first(xml: string, name: string): string | undefined {
  return new RegExp(`<(?:\\w+:)?${name}>([^<]*)</(?:\\w+:)?${name}>`).exec(xml)?.[1];
}
