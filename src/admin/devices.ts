// Device control (issue 5): partnerships, access rules, remote wipe and the security policy of a mailbox.
// Everything lives in the mailbox object (no D1 on the device path); D1 is only read to know the mailbox exists.
import { createRoute, z } from "@hono/zod-openapi";
import { PolicySchema } from "../eas/policy";
import { OofSettingsSchema } from "../mailbox/contract";
import { atLeast } from "../eas/protocol-version";
import { quirksFor } from "../eas/quirks";
import type { DeviceRecord } from "../mailbox/contract";
import type { Mailbox } from "../mailbox/contract";
import { audit } from "../service/audit";
import { notFound, ServiceError } from "../service/errors";
import { builtinMailbox } from "../service/accounts";
import { forgetGlobalAccess, GLOBAL_RULES_OBJECT } from "../service/global-device-rules";
import { endMailboxWaits } from "../service/mailbox-link";
import { newAdminRouter, type AdminEnv } from "./context";
import { Address, json, problemResponses } from "./schemas";
import type { Context } from "hono";

export const deviceRoutes = newAdminRouter();
const r = deviceRoutes;
const tags = ["devices"];

const AddressParam = z.object({ address: Address.openapi({ param: { name: "address", in: "path" } }) });
const DeviceParam = AddressParam.extend({
  deviceId: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "deviceId", in: "path" } }),
});
const RuleParam = AddressParam.extend({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});
const AccessState = z.enum(["allowed", "blocked", "quarantined"]);
const RuleBody = z.object({
  kind: z.enum(["device-id", "device-model", "device-type", "user-agent"]),
  /** Exact DeviceId / DeviceType (case-insensitive), or a model / user-agent pattern with `*` wildcards. */
  pattern: z.string().trim().min(1).max(256),
  access: AccessState,
  note: z.string().max(500).optional(),
});
const Rule = RuleBody.extend({ id: z.string(), created_at: z.string() }).openapi("DeviceAccessRule");

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
const Device = z
  .object({
    device_id: z.string(),
    device_type: z.string(),
    model: z.string().nullable(),
    imei: z.string().nullable(),
    friendly_name: z.string().nullable(),
    os: z.string().nullable(),
    os_language: z.string().nullable(),
    phone_number: z.string().nullable(),
    mobile_operator: z.string().nullable(),
    user_agent: z.string().nullable(),
    enable_outbound_sms: z.boolean().nullable(),
    protocol_version: z.string(),
    first_seen: z.string(),
    last_seen: z.string(),
    device_information_at: z.string().nullable(),
    policy: z.object({
      state: z.string(),
      key: z.string().nullable(),
      version: z.number().nullable(),
      ack_status: z.number().nullable(),
      acked_at: z.string().nullable(),
    }),
    wipe: z.object({
      state: z.string(),
      requested_at: z.string().nullable(),
      sent_at: z.string().nullable(),
      acked_at: z.string().nullable(),
      ack_status: z.number().nullable(),
    }),
    access: z.object({ state: AccessState, by: z.string() }),
    device_password_set_at: z.string().nullable(),
    /** What the server does differently for this client (src/eas/quirks.ts), from its DeviceType, User-Agent and version. */
    quirks: z.array(z.object({ id: z.string(), clients: z.string(), behaviour: z.string(), source: z.string() })),
  })
  .openapi("Device");

function deviceView(d: DeviceRecord): z.infer<typeof Device> {
  return {
    device_id: d.deviceId,
    device_type: d.deviceType,
    model: d.model ?? null,
    imei: d.imei ?? null,
    friendly_name: d.friendlyName ?? null,
    os: d.os ?? null,
    os_language: d.osLanguage ?? null,
    phone_number: d.phoneNumber ?? null,
    mobile_operator: d.mobileOperator ?? null,
    user_agent: d.userAgent ?? null,
    enable_outbound_sms: d.enableOutboundSms ?? null,
    protocol_version: d.protocolVersion,
    first_seen: iso(d.firstSeen)!,
    last_seen: iso(d.lastSeen)!,
    device_information_at: iso(d.deviceInformationAt),
    policy: {
      state: d.policyState,
      key: d.policyKey,
      version: d.policyVersion,
      ack_status: d.policyAckStatus,
      acked_at: iso(d.policyAckedAt),
    },
    wipe: {
      state: d.wipeState,
      requested_at: iso(d.wipeRequestedAt),
      sent_at: iso(d.wipeSentAt),
      acked_at: iso(d.wipeAckedAt),
      ack_status: d.wipeAckStatus,
    },
    access: { state: d.access, by: d.accessBy },
    device_password_set_at: iso(d.devicePasswordSetAt),
    quirks: quirksFor({ deviceType: d.deviceType, userAgent: d.userAgent, protocolVersion: d.protocolVersion }).map((q) => ({
      id: q.id,
      clients: q.clients,
      behaviour: q.behaviour,
      source: q.source,
    })),
  };
}

/** Ends the mailbox's hanging Pings/Syncs so devices come back at once and meet the gates (wipe, block, policy). */
async function wake(c: Context<AdminEnv>, address: string, reason: string): Promise<void> {
  await endMailboxWaits(c.env, address, reason);
}

/** Device actions are recorded in the audit log under the mailbox (or `device-rules:global`). */
const subjectOf = (address: string | undefined) => (address ? `mailbox:${address}` : "device-rules:global");
const deviceSummary = (d: DeviceRecord) => ({
  device_id: d.deviceId,
  device_type: d.deviceType,
  model: d.model ?? null,
  wipe: d.wipeState,
});

/** The mailbox object of an existing login (never creates an object for a typo). */
function mailboxOf(c: Context<AdminEnv>, address: string) {
  return builtinMailbox(c.get("deps"), address);
}

async function deviceOf(c: Context<AdminEnv>, address: string, deviceId: string) {
  const mbx = await mailboxOf(c, address);
  const dev = (await mbx.getDevice(deviceId)) as DeviceRecord | null;
  if (!dev) throw notFound("device", deviceId);
  return { mbx, dev };
}

r.openapi(
  createRoute({
    method: "get",
    path: "/mailboxes/{address}/devices",
    tags,
    summary: "The mailbox's device partnerships, most recently seen first",
    request: { params: AddressParam },
    responses: { 200: json(z.object({ devices: z.array(Device) }), "Devices"), ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const devices = (await (await mailboxOf(c, address)).listDevices()) as DeviceRecord[];
    return c.json({ devices: devices.map(deviceView) }, 200);
  },
);

r.openapi(
  createRoute({
    method: "get",
    path: "/mailboxes/{address}/devices/{deviceId}",
    tags,
    summary: "One device partnership",
    request: { params: DeviceParam },
    responses: { 200: json(Device, "Device"), ...problemResponses },
  }),
  async (c) => {
    const { address, deviceId } = c.req.valid("param");
    return c.json(deviceView((await deviceOf(c, address, deviceId)).dev), 200);
  },
);

r.openapi(
  createRoute({
    method: "delete",
    path: "/mailboxes/{address}/devices/{deviceId}",
    tags,
    summary: "Remove a partnership (the device starts afresh on its next request; also ends a finished wipe)",
    request: { params: DeviceParam },
    responses: { 204: { description: "Removed" }, ...problemResponses },
  }),
  async (c) => {
    const { address, deviceId } = c.req.valid("param");
    const { mbx, dev } = await deviceOf(c, address, deviceId);
    await mbx.removeDevice(deviceId);
    await audit(c.get("deps"), "device.removed", subjectOf(address), deviceSummary(dev), null);
    return c.body(null, 204);
  },
);

r.openapi(
  createRoute({
    method: "post",
    path: "/mailboxes/{address}/devices/{deviceId}/wipe",
    tags,
    summary: "Request a remote wipe; sent on the device's next request. account_only (16.1 devices) removes only this account",
    request: {
      params: DeviceParam,
      body: { content: { "application/json": { schema: z.object({ account_only: z.boolean().default(false) }) } }, required: false },
    },
    responses: { 202: json(Device, "Wipe pending"), ...problemResponses },
  }),
  async (c) => {
    const { address, deviceId } = c.req.valid("param");
    const body = (c.req.header("content-type")?.includes("json") ? c.req.valid("json") : undefined) ?? { account_only: false };
    const { mbx, dev } = await deviceOf(c, address, deviceId);
    // [MS-ASPROV] 2.2.2.1: AccountOnlyRemoteWipe exists in 16.1 only (MS-ASPROV_R6906).
    if (body.account_only && !atLeast(dev.protocolVersion, "16.1"))
      throw new ServiceError(
        409,
        "Account-only wipe not supported",
        `device ${deviceId} speaks EAS ${dev.protocolVersion}; account-only wipe needs 16.1`,
      );
    await mbx.requestWipe(deviceId, body.account_only);
    const after = (await mbx.getDevice(deviceId)) as DeviceRecord;
    await audit(c.get("deps"), "device.wipe_requested", subjectOf(address), deviceSummary(dev), deviceSummary(after));
    await wake(c, address, "remote wipe requested");
    return c.json(deviceView(after), 202);
  },
);

r.openapi(
  createRoute({
    method: "delete",
    path: "/mailboxes/{address}/devices/{deviceId}/wipe",
    tags,
    summary: "Cancel a wipe that the device has not acknowledged yet",
    request: { params: DeviceParam },
    responses: { 200: json(Device, "Wipe cancelled"), ...problemResponses },
  }),
  async (c) => {
    const { address, deviceId } = c.req.valid("param");
    const { mbx, dev } = await deviceOf(c, address, deviceId);
    if (dev.wipeState === "acknowledged" || dev.wipeState === "account-only-acknowledged")
      throw new ServiceError(409, "Wipe already done", `device ${deviceId} acknowledged the wipe; remove the partnership instead`);
    await mbx.cancelWipe(deviceId);
    const after = (await mbx.getDevice(deviceId)) as DeviceRecord;
    await audit(c.get("deps"), "device.wipe_cancelled", subjectOf(address), deviceSummary(dev), deviceSummary(after));
    return c.json(deviceView(after), 200);
  },
);

r.openapi(
  createRoute({
    method: "get",
    path: "/mailboxes/{address}/devices/{deviceId}/recovery-password",
    tags,
    summary: "The recovery password the device stored with Settings DevicePassword (when the policy enables recovery)",
    request: { params: DeviceParam },
    responses: { 200: json(z.object({ recovery_password: z.string().nullable() }), "Recovery password"), ...problemResponses },
  }),
  async (c) => {
    const { address, deviceId } = c.req.valid("param");
    const { mbx } = await deviceOf(c, address, deviceId);
    return c.json({ recovery_password: (await mbx.deviceRecoveryPassword(deviceId)) as string | null }, 200);
  },
);

type RuleRecord = { id: string; kind: string; pattern: string; access: string; note?: string | null; createdAt: number };
const ruleView = (r: RuleRecord) => ({
  id: r.id,
  kind: r.kind as z.infer<typeof RuleBody>["kind"],
  pattern: r.pattern,
  access: r.access as z.infer<typeof AccessState>,
  note: r.note ?? undefined,
  created_at: iso(r.createdAt)!,
});
const rulesView = (x: { rules: RuleRecord[]; defaultAccess: string | null }) => ({
  default_access: x.defaultAccess as z.infer<typeof AccessState> | null,
  rules: x.rules.map(ruleView),
});
/** default_access null: a mailbox inherits the global default; globally, null means "allowed". */
const RulesView = z.object({ default_access: AccessState.nullable(), rules: z.array(Rule) });
const DefaultBody = z.object({ access: AccessState.nullable() });
const NoParams = z.object({});
const GlobalRuleParam = z.object({ id: RuleParam.shape.id });

/** The same four routes for one mailbox's rules and for the service-wide ones (kept in their own object). */
function ruleRoutes(
  prefix: string,
  params: z.ZodObject,
  paramsWithId: z.ZodObject,
  scope: string,
  target: (c: Context<AdminEnv>, p: Record<string, string>) => Promise<DurableObjectStub<Mailbox>>,
) {
  // Global rules reach each isolate within 30 s and each waiting device on its next request; a mailbox's own
  // rule change ends that mailbox's waits at once.
  const after = async (c: Context<AdminEnv>, p: Record<string, string>) => {
    forgetGlobalAccess();
    if (p.address) await wake(c, p.address, "device access rules changed");
  };
  r.openapi(
    createRoute({
      method: "get",
      path: `${prefix}/device-rules`,
      tags,
      summary: `${scope} access rules. Mailbox DeviceId, model, DeviceType, user-agent rules win over the global ones, then the mailbox default, then the global default`,
      request: { params },
      responses: { 200: json(RulesView, "Rules"), ...problemResponses },
    }),
    async (c) => c.json(rulesView(await (await target(c, c.req.valid("param") as Record<string, string>)).listAccessRules()), 200),
  );
  r.openapi(
    createRoute({
      method: "post",
      path: `${prefix}/device-rules`,
      tags,
      summary: `${scope}: allow, block or quarantine devices by DeviceId, model (as reported in DeviceInformation), DeviceType or user-agent pattern`,
      request: { params, body: { content: { "application/json": { schema: RuleBody } }, required: true } },
      responses: { 201: json(Rule, "Rule added"), ...problemResponses },
    }),
    async (c) => {
      const b = c.req.valid("json");
      const p = c.req.valid("param") as Record<string, string>;
      const saved = await (await target(c, p)).addAccessRule({ kind: b.kind, pattern: b.pattern, access: b.access, note: b.note ?? null });
      await audit(c.get("deps"), "device_rule.added", subjectOf(p.address), null, ruleView(saved));
      await after(c, p);
      return c.json(ruleView(saved), 201);
    },
  );
  r.openapi(
    createRoute({
      method: "delete",
      path: `${prefix}/device-rules/{id}`,
      tags,
      summary: `${scope}: remove an access rule`,
      request: { params: paramsWithId },
      responses: { 204: { description: "Removed" }, ...problemResponses },
    }),
    async (c) => {
      const p = c.req.valid("param") as Record<string, string>;
      const mbx = await target(c, p);
      const before = (await mbx.listAccessRules()).rules.find((x: RuleRecord) => x.id === p.id);
      if (!(await mbx.removeAccessRule(p.id!))) throw notFound("device rule", p.id!);
      await audit(c.get("deps"), "device_rule.removed", subjectOf(p.address), before ? ruleView(before) : { id: p.id }, null);
      await after(c, p);
      return c.body(null, 204);
    },
  );
  r.openapi(
    createRoute({
      method: "put",
      path: `${prefix}/device-rules/default`,
      tags,
      summary: `${scope}: access for devices no rule matches (e.g. quarantine every new device until approved); null inherits`,
      request: { params, body: { content: { "application/json": { schema: DefaultBody } }, required: true } },
      responses: { 200: json(RulesView, "Rules"), ...problemResponses },
    }),
    async (c) => {
      const p = c.req.valid("param") as Record<string, string>;
      const mbx = await target(c, p);
      const before = (await mbx.listAccessRules()).defaultAccess;
      await mbx.setDefaultAccess(c.req.valid("json").access);
      await audit(c.get("deps"), "device_rule.default_set", subjectOf(p.address), { default_access: before }, c.req.valid("json"));
      await after(c, p);
      return c.json(rulesView(await mbx.listAccessRules()), 200);
    },
  );
}

ruleRoutes("/mailboxes/{address}", AddressParam, RuleParam, "Mailbox", (c, p) => mailboxOf(c, p.address!));
// Global rules apply to every mailbox; device requests see a change within 30 s (cached per isolate).
ruleRoutes("", NoParams, GlobalRuleParam, "Global", async (c) => c.env.MAILBOX.getByName(GLOBAL_RULES_OBJECT));

const PolicyView = z.object({ version: z.number(), policy: PolicySchema }).openapi("DevicePolicy");

r.openapi(
  createRoute({
    method: "get",
    path: "/mailboxes/{address}/policy",
    tags,
    summary: "The device security policy (Provision); the default enforces nothing",
    request: { params: AddressParam },
    responses: { 200: json(PolicyView, "Policy"), ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    return c.json(await (await mailboxOf(c, address)).getPolicy(), 200);
  },
);

r.openapi(
  createRoute({
    method: "patch",
    path: "/mailboxes/{address}/policy",
    tags,
    summary: "Change policy settings; provisioned devices are asked to provision again (Status 143 / HTTP 449) on their next request",
    request: {
      params: AddressParam,
      body: { content: { "application/json": { schema: PolicySchema.partial().strict() } }, required: true },
    },
    responses: { 200: json(PolicyView, "Policy"), ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const mbx = await mailboxOf(c, address);
    const { policy } = await mbx.getPolicy();
    const next = PolicySchema.safeParse({ ...policy, ...c.req.valid("json") });
    if (!next.success)
      throw new ServiceError(400, "Invalid policy", next.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    const saved = await mbx.setPolicy(next.data);
    await wake(c, address, "device policy changed");
    return c.json(saved, 200);
  },
);

const OofView = OofSettingsSchema.openapi("OutOfOffice");

r.openapi(
  createRoute({
    method: "get",
    path: "/mailboxes/{address}/oof",
    tags,
    summary: "Out-of-office settings (as the phone sets them with Settings Oof)",
    request: { params: AddressParam },
    responses: { 200: json(OofView, "Out of office"), ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    return c.json((await (await mailboxOf(c, address)).getOof()) as z.infer<typeof OofView>, 200);
  },
);

r.openapi(
  createRoute({
    method: "put",
    path: "/mailboxes/{address}/oof",
    tags,
    summary: "Set out of office for a user (e.g. on leave without their phone); a new period: every sender is answered once again",
    request: { params: AddressParam, body: { content: { "application/json": { schema: OofView } }, required: true } },
    responses: { 200: json(OofView, "Out of office"), ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const b = c.req.valid("json");
    if (b.state === 2 && !(b.start && b.end && Date.parse(b.end) > Date.parse(b.start)))
      throw new ServiceError(400, "Invalid period", "state 2 (time-based) needs start and end, end after start");
    const mbx = await mailboxOf(c, address);
    await mbx.setOof(b);
    return c.json((await mbx.getOof()) as z.infer<typeof OofView>, 200);
  },
);
