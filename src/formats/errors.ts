/**
 * Bad PIM data from a device or an import. Callers map it to the protocol's error: Sync Status 6
 * ([MS-ASCMD] 2.2.3.177.17, "error in client/server conversion") or HTTP 400 on the admin API.
 */
export class PimConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PimConversionError";
  }
}
