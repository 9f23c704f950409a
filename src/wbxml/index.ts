// Public surface of the codec. Implementation: codec.ts (binary), xml.ts (text form), codepages.ts (tables).
export type { WbxmlElement, WbxmlNode } from "./types";
export { WbxmlError } from "./types";
export * from "./tree";
