export { BuiltinStore } from "./store";
export { BuiltinPimStore } from "./pim-store";
export { INLINE_LIMIT } from "./blobs";
