/** A refusal the admin API answers as application/problem+json (RFC 9457). */
export class ServiceError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 502 | 503,
    readonly title: string,
    detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = "ServiceError";
  }
}

export const notFound = (what: string, id: string) => new ServiceError(404, "Not found", `${what} ${id} does not exist`);
