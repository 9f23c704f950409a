// The "message part" of a message ([MS-ASCON] 3.1.4.10, [MS-ASAIRS] 2.2.2.10 BodyPart): what this message adds
// to its conversation, without the earlier messages it quotes. Found on the plain-text rendition, where the
// quoting conventions of mail clients are lines: the first line that starts the quoted history ends the part.
//
// Markers (each on a line of its own):
//   > quoted text                                  RFC 3676 quoting (every client that quotes in plain text)
//   On <date>, <name> wrote:                       Thunderbird, Apple Mail, Gmail (and their translations below)
//   -----Original Message-----                     Outlook, Exchange
//   From: <name> + Sent:/Date: on the next line    Outlook's reply header
//   ________________________________               Outlook on the web's separator before that header

const ATTRIBUTION =
  /^(on\s.+\swrote|le\s.+\sa\s[ée]crit|am\s.+\sschrieb\s?.*|el\s.+\sescribi[óo]|il\s.+\sha\sscritto|op\s.+\sschreef\s?.*)\s*:\s*$/i;
const ORIGINAL = /^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale)\s*-{2,}\s*$/i;
const SEPARATOR = /^_{10,}\s*$/;
const FROM_LINE = /^(from|von|de|da)\s*:\s*\S/i;
const SENT_LINE = /^(sent|date|gesendet|datum|envoyé|enviado|inviato)\s*:\s*\S/i;
/** Longest line looked at as a possible marker. */
const MARKER_MAX = 500;

/** The text before the quoted history of `plain` (all of it when nothing is quoted), trailing blank lines off. */
export function messagePart(plain: string): string {
  const lines = plain.split(/\r?\n/);
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l.startsWith(">")) {
      end = i;
      break;
    }
    // Marker lines are short; a long line (a stranger's 1 MB paragraph) is text, never fed to the patterns.
    if (l.length > MARKER_MAX) continue;
    const next = (lines[i + 1] ?? "").trim().slice(0, MARKER_MAX);
    if (
      ATTRIBUTION.test(l) ||
      ORIGINAL.test(l) ||
      (SEPARATOR.test(l) && FROM_LINE.test(next)) ||
      (FROM_LINE.test(l) && SENT_LINE.test(next) && i > 0)
    ) {
      end = i;
      break;
    }
  }
  return lines.slice(0, end).join("\n").trimEnd();
}
