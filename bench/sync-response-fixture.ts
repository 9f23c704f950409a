// A realistic Sync response for the benchmarks: 100 e-mails with ~4 KB HTML bodies and the fields a real
// server sends (addresses, dates, flags, categories, conversation ids as opaque, an attachment on every
// fifth message). Deterministic, so runs compare.
import { el, type WbxmlElement } from "../src/wbxml";

const WORDS =
  "le la les un une de du des et à pour avec réunion projet budget équipe client facture rapport semaine jeudi vendredi merci bonjour cordialement please review the attached document before our meeting".split(
    " ",
  );

function body(i: number, bytes: number): string {
  let s = `<html><head><meta charset="utf-8"></head><body><p>Bonjour ${i},</p><p>`;
  let w = i;
  while (s.length < bytes - 30) {
    s += WORDS[w % WORDS.length] + (w % 17 === 0 ? ".</p><p>" : " ");
    w = (w * 31 + 7) % 1009;
  }
  return s + "</p></body></html>";
}

function email(i: number): WbxmlElement {
  const id = new Uint8Array(16).map((_, k) => (i * 37 + k * 11) & 0xff);
  const html = body(i, 4096);
  return el(
    "AirSync",
    "Add",
    el("AirSync", "ServerId", `5:${1000 + i}`),
    el(
      "AirSync",
      "ApplicationData",
      el("Email", "To", `"Ana Trujillo" <ana.trujillo${i % 7}@contoso.com>`),
      el("Email", "Cc", i % 3 === 0 ? "bob@contoso.com, carol@contoso.com" : null),
      el("Email", "From", `"Don Funk" <don.funk${i % 5}@fabrikam.com>`),
      el("Email", "Subject", `Re: Réunion projet ${i} — budget 2027`),
      el("Email", "ReplyTo", `don.funk${i % 5}@fabrikam.com`),
      el("Email", "DateReceived", `2026-11-${String(1 + (i % 28)).padStart(2, "0")}T09:${String(i % 60).padStart(2, "0")}:00.000Z`),
      el("Email", "DisplayTo", "Ana Trujillo"),
      el("Email", "ThreadTopic", `Réunion projet ${i}`),
      el("Email", "Importance", 1),
      el("Email", "Read", i % 2),
      i % 5 === 0 &&
        el(
          "AirSyncBase",
          "Attachments",
          el(
            "AirSyncBase",
            "Attachment",
            el("AirSyncBase", "DisplayName", `rapport-${i}.pdf`),
            el("AirSyncBase", "FileReference", `5:${1000 + i}:0`),
            el("AirSyncBase", "Method", 1),
            el("AirSyncBase", "EstimatedDataSize", 48213 + i),
          ),
        ),
      el(
        "AirSyncBase",
        "Body",
        el("AirSyncBase", "Type", 2),
        el("AirSyncBase", "EstimatedDataSize", new TextEncoder().encode(html).length),
        el("AirSyncBase", "Truncated", 0),
        el("AirSyncBase", "Data", html),
        el("AirSyncBase", "Preview", html.slice(60, 315).replace(/<[^>]*>/g, "")),
      ),
      el("Email", "MessageClass", "IPM.Note"),
      el("Email", "InternetCPID", 65001),
      el("Email", "Flag", i % 4 === 0 ? el("Email", "Status", 2) : null, i % 4 === 0 ? el("Email", "FlagType", "Follow up") : null),
      el("Email", "ContentClass", "urn:content-classes:message"),
      el("AirSyncBase", "NativeBodyType", 2),
      el("Email2", "ConversationId", id),
      el("Email2", "ConversationIndex", id.subarray(0, 5)),
      el("Email", "Categories", i % 6 === 0 ? el("Email", "Category", "Projet") : null),
    ),
  );
}

export function syncResponse(messages = 100): WbxmlElement {
  return el(
    "AirSync",
    "Sync",
    el(
      "AirSync",
      "Collections",
      el(
        "AirSync",
        "Collection",
        el("AirSync", "SyncKey", "1418434599"),
        el("AirSync", "CollectionId", 5),
        el("AirSync", "Status", 1),
        el("AirSync", "Commands", ...Array.from({ length: messages }, (_, i) => email(i))),
        el("AirSync", "MoreAvailable"),
      ),
    ),
  );
}
