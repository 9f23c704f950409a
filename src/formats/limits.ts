// Input limits for the format parsers (issue 13 §1): text from strangers (an invitation, a vCard, a MIME
// message) is parsed only within these bounds, so no input can exhaust the stack or the isolate's memory.
import { PimConversionError } from "./errors";

/** One iCalendar or vCard object, as stored or received (a large meeting with its VTIMEZONEs is ~100 kB). */
export const MAX_PIM_TEXT_CHARS = 4 * 1024 * 1024;
/** BEGIN/END nesting (VCALENDAR > VEVENT > VALARM is 3; RFC 5545 has nothing deeper than 4). */
export const MAX_PIM_NESTING = 8;
/** Components in one text (a yearly series with its exceptions has hundreds, not tens of thousands). */
export const MAX_PIM_COMPONENTS = 5_000;
/** Content lines in one text. */
export const MAX_PIM_LINES = 200_000;
/** A whole collection (.ics/.vcf import through the admin API): many objects, each as shallow as one. */
export const COLLECTION_LIMITS = { chars: 64 * 1024 * 1024, components: 500_000, lines: 4_000_000 };
const OBJECT_LIMITS = { chars: MAX_PIM_TEXT_CHARS, components: MAX_PIM_COMPONENTS, lines: MAX_PIM_LINES };

/** MIME: multipart nesting and header size ([RFC 2046] sets no limit; real mail nests < 10). */
export const MAX_MIME_NESTING = 64;
export const MAX_MIME_HEADER_BYTES = 1024 * 1024;
/**
 * The same as postal-mime options, for every parse of a message from outside. Over them postal-mime refuses
 * the message, and the store keeps its bytes and shows them as text (src/store/mime.ts).
 */
export const MIME_LIMITS = { maxNestingDepth: MAX_MIME_NESTING, maxHeadersSize: MAX_MIME_HEADER_BYTES, maxRfc822NestingDepth: 4 };

/**
 * Checks the shape of iCalendar/vCard text before ical.js parses it (its parser recurses per component):
 * size, BEGIN/END nesting depth, number of components and lines. PimConversionError when over a limit.
 */
export function checkPimText(text: string, limits = OBJECT_LIMITS): void {
  if (text.length > limits.chars) throw new PimConversionError(`object larger than ${limits.chars} characters`);
  let depth = 0;
  let components = 0;
  let lines = 0;
  const re = /^(BEGIN|END)[ \t]*:/gim;
  for (let i = 0; i !== -1 && i < text.length; i = text.indexOf("\n", i + 1)) lines++;
  if (lines > limits.lines) throw new PimConversionError(`more than ${limits.lines} lines`);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1].toUpperCase() === "BEGIN") {
      depth++;
      components++;
      if (depth > MAX_PIM_NESTING) throw new PimConversionError(`components nested deeper than ${MAX_PIM_NESTING}`);
      if (components > limits.components) throw new PimConversionError(`more than ${limits.components} components`);
    } else depth = Math.max(0, depth - 1);
  }
}
