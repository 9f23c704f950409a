// Public surface of the codec. Implementation: codec.ts (binary), xml.ts (text form), codepages.ts (tables).
export type { WbxmlElement, WbxmlFragment, WbxmlNode } from "./types";
export { WbxmlError } from "./types";
export * from "./tree";
export {
  decodeWbxml,
  decodeWbxmlFragment,
  encodeWbxml,
  encodeWbxmlFragment,
  expandFragments,
  DEFAULT_LIMITS,
  nodeBudget,
  type WbxmlLimits,
} from "./codec";
export { toXml, fromXml, WBXML_XML_NAMESPACE, type ToXmlOptions } from "./xml";
export {
  CODE_PAGES,
  PROTOCOL_VERSIONS,
  TAG_ALIASES,
  namespaceOfPage,
  pageOfNamespace,
  tagByName,
  tagByToken,
  tagInVersion,
  tagVersions,
  type CodePage,
  type CodePageTag,
  type ProtocolVersion,
} from "./codepages";
