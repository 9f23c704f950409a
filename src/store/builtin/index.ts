export { BuiltinStore } from "./store";
export { INLINE_LIMIT } from "./blobs";
export { DEFAULT_FOLDERS } from "../folders";
