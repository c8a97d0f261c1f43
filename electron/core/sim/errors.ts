// Okta's error bodies (okta-prereg.md §4.9, §5.6). A handler throws an OktaApiError; the server renders it
// with a fresh errorId per occurrence, exactly as Okta does.

export interface OktaErrorCause {
  readonly errorSummary: string;
}

export interface OktaErrorBody {
  readonly errorCode: string;
  readonly errorSummary: string;
  readonly errorLink: string;
  readonly errorId: string;
  /** The preregistration 400s carry a single object; every other error carries an array. */
  readonly errorCauses: OktaErrorCause[] | OktaErrorCause;
}

export class OktaApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly errorSummary: string,
    readonly causes: readonly string[] = [],
    readonly causesAsObject = false,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${status} ${errorCode}: ${errorSummary}${causes.length > 0 ? ` (${causes.join('; ')})` : ''}`);
    this.name = 'OktaApiError';
  }

  body(errorId: string): OktaErrorBody {
    const causes = this.causes.map((errorSummary) => ({ errorSummary }));
    return {
      errorCode: this.errorCode,
      errorSummary: this.errorSummary,
      errorLink: this.errorCode,
      errorId,
      errorCauses: this.causesAsObject && causes[0] !== undefined ? causes[0] : causes,
    };
  }
}

export const ENROLL_VALIDATION_SUMMARY =
  'Api validation failed: webAuthnPreregistrationPinRequest|webAuthnPreregistrationCredentialRequest';
export const ACTIVATE_VALIDATION_SUMMARY = 'Api validation failed: pinResponseJwe|webAuthnCredResponse';
/** The simulator's own choice: Okta publishes no 400 for send-pin; this mirrors the shape of its siblings. */
export const SEND_PIN_VALIDATION_SUMMARY = 'Api validation failed: pinRequest';
export const FULFILLMENT_VALIDATION_SUMMARY = 'Api validation failed: fulfillmentRequest';

export const invalidToken = (): OktaApiError => new OktaApiError(401, 'E0000011', 'Invalid token provided');

export const forbidden = (): OktaApiError =>
  new OktaApiError(403, 'E0000006', 'You do not have permission to perform the requested action');

/** Okta's answer on an org where the feature behind the endpoint is not enabled. */
export const featureNotEnabled = (): OktaApiError =>
  new OktaApiError(401, 'E0000015', 'You do not have permission to access the feature you are requesting');

export const notFound = (id: string, type: string): OktaApiError =>
  new OktaApiError(404, 'E0000007', `Not found: Resource not found: ${id} (${type})`);

export const malformedBody = (): OktaApiError =>
  new OktaApiError(400, 'E0000003', 'The request body was not well-formed.');

/** A preregistration 400: E0000001 with the endpoint's summary and one cause object naming the failed check. */
export const preregValidation = (summary: string, cause: string): OktaApiError =>
  new OktaApiError(400, 'E0000001', summary, [cause], true);

export const invalidSearch = (cause: string): OktaApiError =>
  new OktaApiError(400, 'E0000031', 'Invalid search criteria.', [cause]);

export const rateLimited = (): OktaApiError =>
  new OktaApiError(429, 'E0000047', 'API call exceeded rate limit due to too many requests.');

export const methodNotAllowed = (): OktaApiError =>
  new OktaApiError(405, 'E0000022', 'The endpoint does not support the provided HTTP method');

export const internalError = (status: number): OktaApiError =>
  new OktaApiError(status, 'E0000009', 'Internal Server Error');
