/** A decoded WBXML element. `ns` is the code page name (e.g. "AirSync"), `name` the tag name. */
export interface WbxmlElement {
  ns: string;
  name: string;
  children: WbxmlNode[];
}

/**
 * Pre-encoded content standing among an element's children (issue 15: a Sync page's Commands rendered where the
 * items are, spliced by the front door's encoder without a tree in between). Made by `encodeWbxmlFragment`, read
 * back by `decodeWbxmlFragment` (or `expandFragments` for a whole tree). The contract:
 * - `wbxml` is a sequence of WBXML 1.3 tokens as `encodeWbxml` writes them (tags, inline strings, OPAQUE, END,
 *   SWITCH_PAGE): no header, no string table, every element it opens closed inside it; zero or more nodes;
 * - it was written with code page `startPage` in force: whoever splices it switches to that page first if another
 *   is in force (the encoder does), so a fragment made for the page of the element it stands in costs no switch;
 * - `endPage` is the code page in force after its last byte: whoever writes on after it continues from that page.
 * Plain data (a byte array and two numbers): it crosses an RPC as cheaply as its bytes.
 */
export interface WbxmlFragment {
  wbxml: Uint8Array;
  startPage: number;
  endPage: number;
}

/** Text (STR_I) is a string; OPAQUE data stays bytes; a fragment stands for pre-encoded nodes. */
export type WbxmlNode = WbxmlElement | string | Uint8Array | WbxmlFragment;

/** The only error the codec may throw on bad input. `offset` is the byte (or character) position. */
export class WbxmlError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = "WbxmlError";
  }
}
