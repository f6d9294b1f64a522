/**
 * What `npm audit --omit=dev --json` said, as a verdict for CI: fail on a moderate, high or critical advisory
 * in a production dependency; say plainly when nothing could be checked.
 *
 * "Could not check" passes (exit 0) only when the audit service was unreachable: a network error, or the
 * registry or a proxy in front of it refusing the audit endpoint (403, 404, 405, 5xx). CI machines reach
 * package registries through mirrors that often refuse that endpoint, and a build should not fail because
 * of the mirror; the message says in capitals that nothing was checked, and `--require` makes it fail.
 * Anything else (no report, a report without counts, npm failing otherwise) fails.
 */
export const FAILING_LEVELS = ['moderate', 'high', 'critical'] as const;

export interface AuditVerdict {
  exitCode: 0 | 1;
  message: string;
}

interface AuditReport {
  statusCode?: number;
  code?: string;
  message?: string;
  error?: { code?: string; summary?: string };
  metadata?: { vulnerabilities?: Record<string, number> };
  vulnerabilities?: Record<string, { severity?: string; via?: unknown[] }>;
}

const NETWORK_CODES = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ECONNABORTED|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN)\b/;
const REFUSED_STATUSES = new Set([403, 404, 405, 501, 502, 503, 504]);

export function auditVerdict(stdout: string, stderr: string, options: { require?: boolean } = {}): AuditVerdict {
  let report: AuditReport | undefined;
  try {
    report = JSON.parse(stdout) as AuditReport;
  } catch {
    report = undefined;
  }
  const counts = report?.metadata?.vulnerabilities;
  if (counts) {
    const failing = FAILING_LEVELS.reduce((sum, level) => sum + (counts[level] ?? 0), 0);
    const summary = Object.entries(counts).filter(([level]) => level !== 'total').map(([level, n]) => `${level} ${n}`).join(', ');
    const names = Object.entries(report?.vulnerabilities ?? {})
      .filter(([, v]) => (FAILING_LEVELS as readonly string[]).includes(v.severity ?? ''))
      .map(([name, v]) => `  ${name} (${v.severity})`);
    if (failing > 0) return { exitCode: 1, message: `npm audit --omit=dev: ${summary}\nFAILED: ${failing} moderate-or-worse advisories in production dependencies:\n${names.join('\n')}\nRun \`npm audit --omit=dev\` for details.` };
    return { exitCode: 0, message: `npm audit --omit=dev: ${summary}. No moderate-or-worse advisory in production dependencies.` };
  }
  const said = `${report?.message ?? ''} ${report?.error?.summary ?? ''} ${report?.code ?? ''} ${report?.error?.code ?? ''} ${stderr}`;
  const unreachable = NETWORK_CODES.test(said) || (report?.statusCode !== undefined && REFUSED_STATUSES.has(report.statusCode)) || /\b(40[345]|50[1-4])\b[^\n]*advisories/.test(said);
  if (unreachable) {
    const reason = (report?.message ?? stderr.split('\n').find((line) => line.trim()) ?? 'no answer').trim();
    const message = `NOT CHECKED: the npm audit service could not be reached (${reason}).\nNo production dependency was checked for known vulnerabilities.`;
    return options.require ? { exitCode: 1, message: `${message}\nFAILED: --require was given.` } : { exitCode: 0, message: `${message}\nPassing anyway, as CI may only reach a registry mirror; run with --require to fail instead.` };
  }
  return { exitCode: 1, message: `FAILED: npm audit gave no usable report.\n${(report?.message ?? stdout.slice(0, 500)) || '(no output)'}\n${stderr.slice(0, 2000)}` };
}
