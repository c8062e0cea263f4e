/**
 * `drugtrace alerts list|show|review|scan`: the review queue on the command line (docs/oversight.md).
 * Registering these commands also installs the capture observer, so `drugtrace capture` runs the
 * filed detectors on what it captures.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ALERT_STATUSES } from '../../schemas/tables/oversight.ts';
import { OversightError, getAlert, installOversight, listAlerts, recordReview, scanRange, signReview, type Alert, type AlertStatus, type ReviewDecision } from '../../trace/oversight/index.ts';
import { CliExit, DB_HELP, EXIT, output } from '../common.ts';
import { openLedger } from './ledger.ts';
import { integerOption, oversightExit, usage } from './oversight-common.ts';
import { defaultPartyKeyFile, readPartyKeyFile } from './party.ts';

function line(a: Alert): string {
  return `#${String(a.id).padEnd(5)} ${a.status.padEnd(9)} ${a.severity.padEnd(8)} ${a.detector}@${a.version}  ${a.summary}`;
}

function describe(a: Alert): string {
  const evidence = [
    ...a.evidence.positions.map((p) => `position ${p.position}${p.item !== undefined ? ` item ${p.item}` : ''}`),
    ...a.evidence.observations.map((o) => `observation ${o}`),
  ];
  return [
    `alert #${a.id}: ${a.summary}`,
    `  detector   ${a.detector} ${a.version} (filed at ledger position ${a.filing})`,
    `  status     ${a.status}${a.review ? ` — ${a.review.decision} by ${a.review.reviewer} (${a.review.party}) at ledger position ${a.review.position}: ${a.review.reason}` : ''}`,
    `  severity   ${a.severity}`,
    `  subject    ${a.subject}`,
    `  parties    ${a.parties.join(', ') || '-'}`,
    `  observed   ${a.observedAt} (raised ${a.createdAt})`,
    `  evidence   ${evidence.join('; ') || '-'}`,
    `  details    ${JSON.stringify(a.details)}`,
  ].join('\n');
}

function alertId(command: string, value: string): number {
  return integerOption(command, 'ALERT', value)!;
}

export function register(program: Command): void {
  installOversight();
  const alerts = program.command('alerts').description('oversight alerts: list, show, review (a signed decision), scan a time range again');

  alerts
    .command('list')
    .description('alerts, newest first')
    .option('--status <status>', `only ${ALERT_STATUSES.join(' | ')}`)
    .option('--detector <id>', 'only this detector')
    .option('--party <id>', 'only alerts about this party')
    .option('--limit <n>', 'at most this many (default 100)')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .action((opts: { status?: string; detector?: string; party?: string; limit?: string; db?: string; json?: boolean }) => {
      const command = 'alerts list';
      if (opts.status !== undefined && !(ALERT_STATUSES as readonly string[]).includes(opts.status)) usage(command, `--status must be one of ${ALERT_STATUSES.join(', ')}`, '--status', opts.status);
      const limit = integerOption(command, '--limit', opts.limit);
      const out = output(opts);
      const ledger = openLedger(opts.db, command);
      try {
        const list = listAlerts(ledger.store.sql, { status: opts.status as AlertStatus | undefined, detector: opts.detector, party: opts.party, limit });
        out.result({ ok: true, alerts: list }, () => (list.length === 0 ? 'no alerts' : list.map(line).join('\n')));
      } finally {
        ledger.close();
      }
    });

  alerts
    .command('show <alert>')
    .description('one alert: detector version, evidence (ledger positions), review')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .action((id: string, opts: { db?: string; json?: boolean }) => {
      const command = 'alerts show';
      const out = output(opts);
      const ledger = openLedger(opts.db, command);
      try {
        const alert = getAlert(ledger.store.sql, alertId(command, id));
        if (!alert) throw new CliExit(EXIT.no, `drugtrace ${command}: no alert ${id}`, { ok: false, error: { code: 'OVERSIGHT_UNKNOWN_ALERT', message: `no alert ${id}` } });
        out.result({ ok: true, alert }, () => describe(alert));
      } finally {
        ledger.close();
      }
    });

  alerts
    .command('review <alert>')
    .description("confirm or dismiss an alert: a decision signed with a regulator's key and appended to the ledger")
    .requiredOption('--decision <decision>', 'confirm | dismiss')
    .requiredOption('--reason <text>', 'why')
    .requiredOption('--reviewer <name>', 'the person deciding')
    .requiredOption('--party <id>', 'the regulator the reviewer decides for (signs with its key file)')
    .option('--key <file>', "the regulator's key file (default <db>.keys/<party>.key)")
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .action((id: string, opts: { decision: string; reason: string; reviewer: string; party: string; key?: string; db?: string; json?: boolean }) => {
      const command = 'alerts review';
      if (opts.decision !== 'confirm' && opts.decision !== 'dismiss') usage(command, '--decision must be confirm or dismiss', '--decision', opts.decision);
      const out = output(opts);
      const keyFile = resolve(opts.key ?? defaultPartyKeyFile(opts.db, opts.party));
      const key = readPartyKeyFile(keyFile, command);
      if (key.party !== opts.party) throw new CliExit(EXIT.usage, `drugtrace ${command}: ${keyFile} holds the key of ${key.party}, not ${opts.party}`, { ok: false, error: { code: 'CLI_BAD_KEY', message: `the key file belongs to ${key.party}` } });
      const ledger = openLedger(opts.db, command);
      try {
        const db = ledger.store.sql;
        const n = alertId(command, id);
        let reviewed: Alert;
        try {
          const alert = getAlert(db, n);
          const input = { decision: opts.decision as ReviewDecision, reason: opts.reason, reviewer: opts.reviewer };
          if (!alert) throw new OversightError('OVERSIGHT_UNKNOWN_ALERT', `no alert ${n}`, { alert: n });
          reviewed = recordReview(ledger, n, input, signReview(alert, input, key));
        } catch (err) {
          oversightExit(err, command);
        }
        out.result({ ok: true, alert: reviewed }, () => `alert #${reviewed.id} ${reviewed.status} by ${reviewed.review!.reviewer} (${reviewed.review!.party}); decision at ledger position ${reviewed.review!.position}`);
      } finally {
        ledger.close();
      }
    });

  alerts
    .command('scan')
    .description('run the filed detectors again over events and observations in [--from, --to); raises only alerts not raised before')
    .requiredOption('--from <time>', 'start (ISO 8601 time or date), inclusive')
    .requiredOption('--to <time>', 'end, exclusive')
    .option('--detector <id...>', 'only these detectors (each must be filed)')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .action((opts: { from: string; to: string; detector?: string[]; db?: string; json?: boolean }) => {
      const command = 'alerts scan';
      const out = output(opts);
      const ledger = openLedger(opts.db, command);
      try {
        let report: ReturnType<typeof scanRange>;
        try {
          report = scanRange(ledger, opts.from, opts.to, { only: opts.detector });
        } catch (err) {
          oversightExit(err, command);
        }
        out.result({ ok: true, ...report }, () =>
          [
            ...report.ran.map((r) => `ran     ${r.detector} ${r.version} (filing ${r.filing}): ${r.findings} finding(s)`),
            ...report.skipped.map((s) => `skipped ${s.detector} ${s.version}: not filed`),
            `${report.alerts.length} new alert(s)`,
            ...report.alerts.map(line),
          ].join('\n'),
        );
      } finally {
        ledger.close();
      }
    });
}
