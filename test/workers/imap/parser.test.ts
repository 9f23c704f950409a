// IMAP response syntax (RFC 3501 §9) as the client reads it, including literals cut across TCP chunks.
import { describe, expect, it } from "vitest";
import { textParts } from "../../../src/store/imap/bodystructure";
import { decodeMailboxName, encodeMailboxName } from "../../../src/store/imap/mutf7";
import { attributes, MAX_LITERAL, parseResponse, ResponseSplitter, str } from "../../../src/store/imap/parser";
import { parseInternalDate, uidSet } from "../../../src/store/imap/wire";

const enc = new TextEncoder();

function responses(...chunks: string[]) {
  const sp = new ResponseSplitter();
  return chunks.flatMap((c) => sp.push(enc.encode(c))).map(parseResponse);
}

describe("IMAP response parser", () => {
  it("reads a FETCH with a literal body split over several chunks, byte-exact", () => {
    const body = "Subject: é\r\n\r\n{3}\r\nx";
    const bytes = enc.encode(body).byteLength;
    const wire = `* 12 FETCH (UID 7 FLAGS (\\Seen $Forwarded) MODSEQ (42) BODY[]<0> {${bytes}}\r\n${body} INTERNALDATE " 6-Nov-2026 15:12:46 +0100")\r\nA1 OK done\r\n`;
    const chunks = [];
    for (let i = 0; i < wire.length; i += 5) chunks.push(wire.slice(i, i + 5));
    const [fetch, ok] = responses(...chunks);
    expect(fetch!.tokens.slice(0, 2)).toEqual(["12", "FETCH"]);
    const a = attributes(fetch!.tokens[2]!);
    expect(str(a.get("UID"))).toBe("7");
    expect(a.get("FLAGS")).toEqual(["\\Seen", "$Forwarded"]);
    expect(a.get("MODSEQ")).toEqual(["42"]);
    expect(new TextDecoder().decode(a.get("BODY[]<0>") as Uint8Array)).toBe(body);
    expect(parseInternalDate(str(a.get("INTERNALDATE")))).toBe(Date.UTC(2026, 10, 6, 14, 12, 46));
    expect(ok).toMatchObject({ tag: "A1", tokens: ["OK"], text: "done" });
  });

  it("ends a line only at CR LF: a bare CR stays in it, at any cut of the chunks", () => {
    const wire = '* OK [ALERT] a\rb\r\r\n* 1 FETCH (UID 9 X-TEXT "c\rd")\r\nA1 OK done\r\n';
    for (let cut = 0; cut <= wire.length; cut++) {
      const [alert, fetch, ok] = responses(wire.slice(0, cut), wire.slice(cut));
      expect(alert).toMatchObject({ tag: "*", code: ["ALERT"], text: "a\rb" });
      expect(str(attributes(fetch!.tokens[2]!).get("X-TEXT"))).toBe("c\rd");
      expect(ok).toMatchObject({ tag: "A1", text: "done" });
    }
  });

  it("reads response codes, VANISHED, NIL, quoted strings with escapes and bracketed atoms", () => {
    const [copy, vanished, list, status, no] = responses(
      "* OK [COPYUID 1795705969 3:4 8:9] Moved UIDs.\r\n",
      "* VANISHED (EARLIER) 1:3,7\r\n",
      '* LIST (\\HasNoChildren \\Sent) NIL "Sent \\"old\\" \\\\ mail"\r\n',
      "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT DATE)] NIL)\r\n",
      "A9 NO [ALREADYEXISTS] Mailbox already exists\r\n",
    );
    expect(copy!.code).toEqual(["COPYUID", "1795705969", "3:4", "8:9"]);
    expect(vanished!.tokens).toEqual(["VANISHED", ["EARLIER"], "1:3,7"]);
    expect(uidSet(str(vanished!.tokens[2]))).toEqual([1, 2, 3, 7]);
    expect(list!.tokens).toEqual(["LIST", ["\\HasNoChildren", "\\Sent"], null, 'Sent "old" \\ mail']);
    expect(attributes(status!.tokens[2]!).get("BODY[HEADER.FIELDS (SUBJECT DATE)]")).toBeNull();
    expect(no).toMatchObject({ tag: "A9", tokens: ["NO"], code: ["ALREADYEXISTS"], text: "Mailbox already exists" });
  });

  it("an empty literal and a continuation request", () => {
    const [fetch, cont] = responses("* 1 FETCH (BODY[] {0}\r\n)\r\n", "+ Ready for literal data\r\n");
    expect((attributes(fetch!.tokens[2]!).get("BODY[]") as Uint8Array).byteLength).toBe(0);
    expect(cont).toMatchObject({ tag: "+", text: "Ready for literal data" });
  });
});

describe("mailbox names in modified UTF-7 (RFC 3501 §5.1.3)", () => {
  it("round-trips the RFC example and non-BMP characters", () => {
    expect(encodeMailboxName("~peter/mail/台北/日本語")).toBe("~peter/mail/&U,BTFw-/&ZeVnLIqe-");
    expect(decodeMailboxName("~peter/mail/&U,BTFw-/&ZeVnLIqe-")).toBe("~peter/mail/台北/日本語");
    for (const name of ["Réunions", "A & B", "Ünïcödé 📬", "plain"]) expect(decodeMailboxName(encodeMailboxName(name))).toBe(name);
    expect(encodeMailboxName("A & B")).toBe("A &- B");
  });

  it("keeps a run that is not modified base64 as the server sent it, instead of throwing (a stranger's server)", () => {
    expect(decodeMailboxName("Bad &A- and &@@@@- but &AOk- ok")).toBe("Bad &A- and &@@@@- but é ok");
  });
});

describe("BODYSTRUCTURE text parts (RFC 3501 §7.4.2)", () => {
  it("numbers nested parts, skips text attachments and attached messages", () => {
    const [r] = responses(
      '* 1 FETCH (BODYSTRUCTURE ((("TEXT" "PLAIN" ("CHARSET" "iso-8859-1") NIL NIL "QUOTED-PRINTABLE" 42 1 NIL NIL NIL NIL)' +
        '("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 30 1 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "alt") NIL NIL NIL)' +
        '("TEXT" "PLAIN" ("NAME" "notes.txt") NIL NIL "7BIT" 10 1 NIL ("ATTACHMENT" ("FILENAME" "notes.txt")) NIL NIL)' +
        '("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 100 ("date" "subj" NIL NIL NIL NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 5 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)' +
        ' "MIXED" ("BOUNDARY" "outer") NIL NIL NIL))\r\n',
    );
    const structure = attributes(r!.tokens[2]!).get("BODYSTRUCTURE")!;
    expect(textParts(structure)).toEqual([
      { section: "1.1", subtype: "plain", size: 42 },
      { section: "1.2", subtype: "html", size: 30 },
    ]);
    const [single] = responses('* 2 FETCH (BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL))\r\n');
    expect(textParts(attributes(single!.tokens[2]!).get("BODYSTRUCTURE")!)).toEqual([{ section: "1", subtype: "plain", size: 12 }]);
  });
});

describe("hostile sizes", () => {
  it("refuses a literal announced beyond the memory limit before allocating it", () => {
    expect(() => responses(`* 1 FETCH (BODY[] {${MAX_LITERAL + 1}}\r\n`)).toThrow(/refused/);
    expect(() => responses(`* 1 FETCH (BODY[] {99999999999999}\r\n`)).toThrow(/refused/);
  });
});
