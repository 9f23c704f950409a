/** A decoded WBXML element. `ns` is the code page name (e.g. "AirSync"), `name` the tag name. */
export interface WbxmlElement {
  ns: string;
  name: string;
  children: WbxmlNode[];
}

/** Text (STR_I) is a string; OPAQUE data stays bytes. */
export type WbxmlNode = WbxmlElement | string | Uint8Array;

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
