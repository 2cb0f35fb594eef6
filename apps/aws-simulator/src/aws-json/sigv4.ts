/**
 * The region a SigV4-signed request was signed for (`Credential=AKID/20260101/cn-northwest-1/…`). The
 * signature itself is not checked: any credentials are accepted. The region tells which partition the
 * caller addressed, as the endpoint's host name would on AWS.
 */
export function signedRegion(authorization: string | undefined, fallback = 'us-east-1'): string {
  const m = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//.exec(authorization ?? '');
  return m?.[1] ?? fallback;
}

/** The access key id of a SigV4-signed request: AWS counts request rates per caller. */
export function signedAccessKey(authorization: string | undefined): string {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1] ?? 'anonymous';
}
