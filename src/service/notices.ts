// §4: a third party notifies manifestly illicit use → suspension; the customer answers and documents compliance.
import { eq } from "drizzle-orm";
import { noticeAnswers, thirdPartyNotices } from "../db/schema";
import { auditRow } from "./audit";
import { newId, type ServiceDeps } from "./deps";
import { notFound } from "./errors";
import { getSubscriptionRow, openSuspensions, subject, suspendSubscription } from "./subscriptions";
import { nextStatus } from "./subscription-states";

export interface NoticeInput {
  from: { name: string; email: string };
  description: string;
  evidence: string;
  receivedAt?: Date;
}

export async function recordThirdPartyNotice(d: ServiceDeps, subscriptionId: string, n: NoticeInput) {
  const s = await getSubscriptionRow(d, subscriptionId);
  nextStatus("suspend", s.status);
  const at = d.now();
  const row = {
    id: newId("ntc"),
    subscriptionId,
    fromName: n.from.name,
    fromEmail: n.from.email,
    description: n.description,
    evidence: n.evidence,
    receivedAt: n.receivedAt ?? at,
    recordedBy: d.actor,
    recordedAt: at,
  };
  await d.db.batch([d.db.insert(thirdPartyNotices).values(row), auditRow(d, "notice.recorded", subject(subscriptionId), null, row)]);
  // A further notice while already suspended for illicit use is recorded; the suspension stays as it is.
  const already = (await openSuspensions(d, subscriptionId)).some((x) => x.reason === "illicit_use");
  const subscription = already
    ? await getSubscriptionRow(d, subscriptionId)
    : await suspendSubscription(d, subscriptionId, {
        reason: "illicit_use",
        evidence: { noticeId: row.id, from: n.from, description: n.description },
        noticeId: row.id,
      });
  return { notice: row, subscription };
}

export interface AnswerInput {
  answer: string;
  complianceDocumentation?: string;
  receivedAt?: Date;
}

export async function recordNoticeAnswer(d: ServiceDeps, noticeId: string, a: AnswerInput) {
  const [n] = await d.db.select().from(thirdPartyNotices).where(eq(thirdPartyNotices.id, noticeId));
  if (!n) throw notFound("notice", noticeId);
  const at = d.now();
  const row = {
    id: newId("ans"),
    noticeId,
    answer: a.answer,
    complianceDocumentation: a.complianceDocumentation ?? null,
    receivedAt: a.receivedAt ?? at,
    recordedBy: d.actor,
    recordedAt: at,
  };
  await d.db.batch([d.db.insert(noticeAnswers).values(row), auditRow(d, "notice.answered", subject(n.subscriptionId), null, row)]);
  return row;
}
