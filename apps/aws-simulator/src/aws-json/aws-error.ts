/**
 * An error answered in AWS's shape. `code` is the bare exception name (`InvalidTokenException`); the edge
 * adds the service's namespace (`com.amazonaws.marketplacemetering#InvalidTokenException`) or, for the SNS
 * Query API, wraps it in an `ErrorResponse` document.
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

/** The standard message of a constraint violation, as AWS's validation layer words it. */
export function validationError(field: string, constraint: string): AwsError {
  return new AwsError(
    'ValidationException',
    `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}
