/**
 * `drugtrace alerts list|show|review|scan`: the review queue on the command line (docs/oversight.md).
 * Registering these commands also installs the capture observer, so `drugtrace capture` runs the
 * filed detectors on what it captures. list, show and review also run against a server (--server);
 * scan stays with the database, because re-running detectors is the operator's job.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ALERT_STATUSES } from '../../schemas/tables/oversight.ts';
import { OversightError, getAlert, installOversight, listAlerts, recordReview, scanRange, signReview, type Alert, type AlertStatus, type ReviewDecision } from '../../trace/oversight/index.ts';
import { CliExit, DB_HELP, EXIT, output } from '../common.ts';
import { openLedger } from './ledger.ts';
import { integerOption, oversightExit, usage } from './oversight-common.ts';
import { defaultPartyKeyFile, readPartyKeyFile } from './party.ts';
import { serverClient, serverExit, serverOptions, type ServerOptions } from '../server.ts';

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

  const list = alerts
    .command('list')
    .description('alerts, newest first')
    .option('--status <status>', `only ${ALERT_STATUSES.join(' | ')}`)
    .option('--detector <id>', 'only this detector')
    .option('--party <id>', 'only alerts about this party (with --server, a regulator token: any party; others see only their own)')
    .option('--limit <n>', 'at most this many (default 100)')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document');
  serverOptions(list).action(async (opts: { status?: string; detector?: string; party?: string; limit?: string; db?: string; json?: boolean } & ServerOptions) => {
    const command = 'alerts list';
    if (opts.status !== undefined && !(ALERT_STATUSES as readonly string[]).includes(opts.status)) usage(command, `--status must be one of ${ALERT_STATUSES.join(', ')}`, '--status', opts.status);
    const limit = integerOption(command, '--limit', opts.limit);
    const out = output(opts);
    const query = { status: opts.status as AlertStatus | undefined, detector: opts.detector, party: opts.party, limit };
    const print = (found: Alert[]) => out.result({ ok: true, alerts: found }, () => (found.length === 0 ? 'no alerts' : found.map(line).join('\n')));
    const client = serverClient(opts, command);
    if (client) {
      try {
        print((await client.alerts(query)).alerts);
      } catch (err) {
        serverExit(err, command);
      }
      return;
    }
    const ledger = openLedger(opts.db, command);
    try {
      print(listAlerts(ledger.store.sql, query));
    } finally {
      ledger.close();
    }
  });

  const show = alerts
    .command('show <alert>')
    .description('one alert: detector version, evidence (ledger positions), review')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document');
  serverOptions(show).action(async (id: string, opts: { db?: string; json?: boolean } & ServerOptions) => {
    const command = 'alerts show';
    const out = output(opts);
    const n = alertId(command, id);
    const print = (alert: Alert) => out.result({ ok: true, alert }, () => describe(alert));
    const client = serverClient(opts, command);
    if (client) {
      try {
        print(await client.alert(n));
      } catch (err) {
        serverExit(err, command);
      }
      return;
    }
    const ledger = openLedger(opts.db, command);
    try {
      const alert = getAlert(ledger.store.sql, n);
      if (!alert) throw new CliExit(EXIT.no, `drugtrace ${command}: no alert ${id}`, { ok: false, error: { code: 'OVERSIGHT_UNKNOWN_ALERT', message: `no alert ${id}` } });
      print(alert);
    } finally {
      ledger.close();
    }
  });

  const review = alerts
    .command('review <alert>')
    .description("confirm or dismiss an alert: a decision signed with a regulator's key and appended to the ledger")
    .requiredOption('--decision <decision>', 'confirm | dismiss')
    .requiredOption('--reason <text>', 'why')
    .requiredOption('--reviewer <name>', 'the person deciding')
    .requiredOption('--party <id>', 'the regulator the reviewer decides for (signs with its key file)')
    .option('--key <file>', "the regulator's key file (default <db>.keys/<party>.key)")
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .addHelpText('after', "\nWith --server (the regulator's own token): the alert is read from the server, the decision signed here\nwith the key file and sent (POST /v1/alerts/ID/review); the key never leaves this machine.");
  serverOptions(review).action(async (id: string, opts: { decision: string; reason: string; reviewer: string; party: string; key?: string; db?: string; json?: boolean } & ServerOptions) => {
    const command = 'alerts review';
    if (opts.decision !== 'confirm' && opts.decision !== 'dismiss') usage(command, '--decision must be confirm or dismiss', '--decision', opts.decision);
    const n = alertId(command, id);
    const out = output(opts);
    const keyFile = resolve(opts.key ?? defaultPartyKeyFile(opts.db, opts.party));
    const key = readPartyKeyFile(keyFile, command);
    if (key.party !== opts.party) throw new CliExit(EXIT.usage, `drugtrace ${command}: ${keyFile} holds the key of ${key.party}, not ${opts.party}`, { ok: false, error: { code: 'CLI_BAD_KEY', message: `the key file belongs to ${key.party}` } });
    const input = { decision: opts.decision as ReviewDecision, reason: opts.reason, reviewer: opts.reviewer };
    const print = (reviewed: Alert) =>
      out.result({ ok: true, alert: reviewed }, () => `alert #${reviewed.id} ${reviewed.status} by ${reviewed.review!.reviewer} (${reviewed.review!.party}); decision at ledger position ${reviewed.review!.position}`);
    const client = serverClient(opts, command);
    if (client) {
      try {
        // The signature covers the alert as the server holds it (its id, subject and evidence).
        const signed = signReview(await client.alert(n), input, key);
        print(await client.reviewAlert(n, { ...input, signer: signed.body.signer, claimedTime: signed.body.claimedTime, signature: signed.signature }));
      } catch (err) {
        serverExit(err, command);
      }
      return;
    }
    const ledger = openLedger(opts.db, command);
    try {
      let reviewed: Alert;
      try {
        const alert = getAlert(ledger.store.sql, n);
        if (!alert) throw new OversightError('OVERSIGHT_UNKNOWN_ALERT', `no alert ${n}`, { alert: n });
        reviewed = recordReview(ledger, n, input, signReview(alert, input, key));
      } catch (err) {
        oversightExit(err, command);
      }
      print(reviewed);
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
