import { describe, expect, it } from 'vitest';
import { auditVerdict } from '../../../scripts/audit-verdict.js';

const report = (vulnerabilities: Record<string, number>, named: Record<string, { severity: string }> = {}) =>
  JSON.stringify({ auditReportVersion: 2, vulnerabilities: named, metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...vulnerabilities } } });

describe('audit:check verdict', () => {
  it('fails on a moderate advisory in production dependencies, naming the package', () => {
    const verdict = auditVerdict(report({ moderate: 1, total: 1 }, { 'some-lib': { severity: 'moderate' } }), '');
    expect(verdict.exitCode).toBe(1);
    expect(verdict.message).toContain('some-lib (moderate)');
  });

  it('passes with low advisories only, and says what it checked', () => {
    const verdict = auditVerdict(report({ low: 2, total: 2 }), '');
    expect(verdict.exitCode).toBe(0);
    expect(verdict.message).toContain('low 2');
  });

  it('says NOT CHECKED when the audit service is refused or unreachable, and fails then only with --require', () => {
    const refused = JSON.stringify({ message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405 });
    expect(auditVerdict(refused, 'npm error audit endpoint returned an error')).toMatchObject({ exitCode: 0, message: expect.stringContaining('NOT CHECKED') });
    expect(auditVerdict(refused, '', { require: true }).exitCode).toBe(1);
    const offline = JSON.stringify({ error: { code: 'ENOTFOUND', summary: 'request to https://registry.npmjs.org/-/npm/v1/security/advisories/bulk failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org' } });
    expect(auditVerdict(offline, '').message).toContain('NOT CHECKED');
  });

  it('fails when npm gives no usable report for another reason', () => {
    expect(auditVerdict('', 'npm error code ELOCKVERIFY').exitCode).toBe(1);
    expect(auditVerdict(JSON.stringify({ message: 'Unauthorized', statusCode: 401 }), '').exitCode).toBe(1);
  });
});
