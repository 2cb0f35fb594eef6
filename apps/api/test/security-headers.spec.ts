import { describe, expect, it } from 'vitest';
import { securityHeadersFor } from '../src/http/security-headers.js';

describe('securityHeadersFor', () => {
  it("gives helmet's headers for the options, worked out once", () => {
    const headers = new Map(
      securityHeadersFor({
        contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], imgSrc: ['data:'] } },
      }),
    );
    expect(headers.get('Content-Security-Policy')).toContain("default-src 'self'");
    expect(headers.get('Content-Security-Policy')).toContain('img-src data:');
    expect(headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(headers.get('Strict-Transport-Security')).toMatch(/^max-age=\d+/);
    expect(headers.has('X-Powered-By')).toBe(false);
  });

  it('refuses options helmet refuses, at start', () => {
    expect(() =>
      securityHeadersFor({ contentSecurityPolicy: { directives: { defaultSrc: ["'self'; script-src *"] } } }),
    ).toThrow();
  });
});
