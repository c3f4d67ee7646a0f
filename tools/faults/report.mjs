// The "Faults survived" table of a run, in Markdown.

const recoveryCell = (r, maxS) => (r.seconds === undefined ? `> ${maxS}` : r.seconds.toFixed(0));

export function faultsMarkdown({ faults, total, failures, settings }) {
  const lines = [
    '| fault | sent | ok | failed | refused | hung | lost effects | duplicated effects | wrong caller | async not final | recovery s | p99 before ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const f of faults) {
    const s = f.summary;
    lines.push(`| ${f.name} | ${s.sent} | ${s.ok} | ${s.failed} | ${s.refused} | ${s.hung} | ${s.lost} | ${s.duplicated} | ${s.wrongCaller} | ` +
      `${s.asyncNotFinal} | ${recoveryCell(f.recovery, settings.maxRecoveryS)} | ${f.recovery.baselineP99.toFixed(0)} |`);
  }
  lines.push(`| **all** | ${total.sent} | ${total.ok} | ${total.failed} | ${total.refused} | ${total.hung} | ${total.lost} | ${total.duplicated} | ` +
    `${total.wrongCaller} | ${total.asyncNotFinal} | | |`);
  lines.push('');
  for (const f of faults) {
    const s = f.summary;
    const statuses = Object.entries(s.statuses).sort().map(([k, v]) => `${k}: ${v}`).join(', ');
    lines.push(`- **${f.name}**: ${f.what}. Answers ${statuses}; counter operations ${s.counterOps} (${s.acked} acknowledged, ` +
      `${s.ambiguous} ambiguous); async ${s.asyncAccepted} accepted → ${Object.entries(s.asyncFinals).map(([k, v]) => `${v} ${k}`).join(', ')}` +
      `${s.missingRetryAfter ? `; ${s.missingRetryAfter} 503s without Retry-After` : ''}` +
      `${f.failures.length ? `; **FAILED**: ${f.failures.join('; ')}` : ''}${s.details.length ? ` (${s.details.slice(0, 5).join('; ')})` : ''}.`);
  }
  lines.push('');
  lines.push(`${settings.rate} req/s offered over ${settings.gateways} gateways (X-Timeout-Ms ${settings.timeoutMs}, async ${settings.asyncTimeoutMs}; ` +
    `hung = no answer ${settings.slackMs} ms after the deadline), ${settings.baselineS} s before each fault, ` +
    `${settings.processors} processors (${settings.processing}), ${settings.sweepers} sweepers; ${settings.at}, Node ${process.version}, ` +
    `${Math.round(settings.elapsedS)} s in all${settings.bootRestarts?.length ? ` (started twice: ${settings.bootRestarts.join(', ')}, which died while starting)` : ''}. ${failures.length ? `**Checks failed**: ${failures.join('; ')}.` : 'Every check passed.'}`);
  return lines.join('\n');
}
