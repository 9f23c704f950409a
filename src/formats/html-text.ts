import { convert } from "html-to-text";

// Plain-text rendition of an HTML body for Preview and type 1 bodies: never raw HTML.
// html-to-text (maintained, htmlparser2-based) copes with broken markup; images are dropped,
// link targets kept only when they differ from the link text.
const OPTIONS = {
  wordwrap: false as const,
  selectors: [
    { selector: "img", format: "skip" },
    { selector: "a", options: { hideLinkHrefIfSameAsText: true, ignoreHref: false } },
    { selector: "style", format: "skip" },
    { selector: "script", format: "skip" },
    // Keep headings as written (the library shouts them in capitals by default).
    ...["h1", "h2", "h3", "h4", "h5", "h6"].map((selector) => ({ selector, options: { uppercase: false } })),
  ],
  limits: { maxInputLength: 4_000_000 },
};

export function htmlToText(html: string): string {
  return convert(html, OPTIONS)
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
