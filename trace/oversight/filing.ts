/**
 * Filing (docs/oversight.md, "Filing"): a detector version runs only after a signed ledger entry of
 * kind `detector_filing` says what it is — id, version, description, parameters — and how it did
 * on its labelled synthetic set (seed, set hash, counts, precision, recall). The ledger layer
 * recomputes the validation from the seed and refuses a filing whose figures differ, so a filing
 * cannot claim results its detector does not reproduce. Filings are signed by the operator or by a
 * registered regulator; the `oversight_filings` table is read from those entries.
 */
import type { SqlConnection } from '../../schemas/connection.ts';
import { ed25519, sha256 } from '../../ledger/crypto-node.ts';
import { canonicalJson } from '../../ledger/canonical.ts';
import { OPERATOR_PARTY, signDocument, type JsonObject, type SignedDocument } from '../../ledger/entry.ts';
import type { Ledger } from '../../ledger/ledger.ts';
import { OversightError } from './errors.ts';
import { DETECTORS, detectorById } from './registry.ts';
import { stmt } from './source.ts';
import { DEFAULT_CASES, DEFAULT_SEED, validateDetector, type Validation } from './synthetic.ts';
import type { Detector } from './types.ts';

export interface Filing {
  position: number;
  detector: string;
  version: string;
  signer: string;
  parameters: JsonObject;
  validation: Validation;
  filedAt: string;
}

interface FilingRow {
  position: number;
  detector: string;
  version: string;
  signer: string;
  parameters: string;
  validation: string;
  filed_at: string;
}

const fromRow = (r: FilingRow): Filing => ({
  position: r.position,
  detector: r.detector,
  version: r.version,
  signer: r.signer,
  parameters: JSON.parse(r.parameters) as JsonObject,
  validation: JSON.parse(r.validation) as Validation,
  filedAt: r.filed_at,
});

/** The payload a filing signs: the detector's own description, checked parameters and fresh validation. */
export function filingPayload(detectorId: string, options: { parameters?: JsonObject; seed?: number; cases?: number } = {}): JsonObject {
  const detector = detectorById(detectorId);
  const parameters = detector.parameters(options.parameters ?? {});
  return {
    detector: detector.id,
    version: detector.version,
    description: detector.description,
    parameters,
    validation: validateDetector(detector, parameters, options.seed ?? DEFAULT_SEED, options.cases ?? DEFAULT_CASES),
  };
}

function bad(message: string, field: string): never {
  throw new OversightError('OVERSIGHT_BAD_FILING', `detector filing: ${message}`, { field, rule: 'a filing names a known detector version, its parameters and its validation' });
}

/** Checks a filing payload against the detector it names; returns the detector and checked parameters. */
export function checkFilingPayload(payload: JsonObject): { detector: Detector; parameters: JsonObject; validation: Validation } {
  if (typeof payload.detector !== 'string') bad('detector must be a string', 'detector');
  const detector = detectorById(payload.detector);
  if (payload.version !== detector.version) {
    throw new OversightError('OVERSIGHT_UNKNOWN_VERSION', `detector ${detector.id} version ${JSON.stringify(payload.version)} is not this build's version ${detector.version}`, {
      detector: detector.id,
      version: payload.version,
      available: detector.version,
    });
  }
  if (payload.description !== detector.description) bad(`description differs from detector ${detector.id}'s own`, 'description');
  if (typeof payload.parameters !== 'object' || payload.parameters === null || Array.isArray(payload.parameters)) bad('parameters must be an object', 'parameters');
  const parameters = detector.parameters(payload.parameters as JsonObject);
  if (canonicalJson(parameters) !== canonicalJson(payload.parameters)) bad('parameters must be given in full (every parameter, as the detector completes them)', 'parameters');
  const v = payload.validation as Validation | undefined;
  if (typeof v !== 'object' || v === null || !Number.isSafeInteger(v.seed) || !Number.isSafeInteger(v.cases) || v.cases < 1 || v.cases > 100_000) {
    bad('validation needs an integer seed and 1 to 100,000 cases', 'validation');
  }
  const again = validateDetector(detector, parameters, v.seed, v.cases);
  if (canonicalJson(again) !== canonicalJson(v)) {
    throw new OversightError('OVERSIGHT_VALIDATION_MISMATCH', `detector ${detector.id} ${detector.version}: the filed validation does not reproduce from seed ${v.seed} (precision ${again.precision}, recall ${again.recall} recomputed; filed ${v.precision}, ${v.recall})`, {
      detector: detector.id,
      version: detector.version,
      filed: v,
      recomputed: again,
    });
  }
  return { detector, parameters, validation: again };
}

/** Records a signed `detector_filing` entry and its filing row in one transaction. */
export function recordFiling(ledger: Ledger, signed: SignedDocument): { position: number; duplicate: boolean; filing: Filing } {
  const body = signed.body;
  if (body.kind !== 'detector_filing') bad(`entry kind is ${body.kind}`, 'kind');
  const { detector, parameters, validation } = checkFilingPayload(body.payload);
  const db = ledger.store.sql;
  const run = db.transaction(() => {
    const signer = body.signer.party;
    if (signer !== OPERATOR_PARTY) {
      const role = stmt(db, 'SELECT role FROM trace_parties WHERE party = ?').pluck().get(signer) as string | undefined;
      if (role !== 'regulator') {
        throw new OversightError('OVERSIGHT_NOT_AUTHORIZED', `${signer} may not file detectors (role ${role ?? 'none'}): the operator or a regulator files`, { party: signer, role: role ?? null, rule: 'detectors are filed by the operator or a regulator' });
      }
    }
    const position = ledger.size();
    const receipt = ledger.append(signed);
    if (receipt.duplicate) return { position: receipt.position, duplicate: true, filing: filingAt(db, receipt.position)! };
    stmt(db, 'INSERT INTO oversight_filings (position, detector, version, signer, parameters, validation, filed_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      position,
      detector.id,
      detector.version,
      signer,
      JSON.stringify(parameters),
      JSON.stringify(validation),
      body.claimedTime,
    );
    return { position, duplicate: false, filing: filingAt(db, position)! };
  });
  return run.immediate();
}

/** Files a detector: builds the payload (validation computed now), signs it (operator key unless a regulator's key is given) and records it. */
export function fileDetector(
  ledger: Ledger,
  detectorId: string,
  options: { parameters?: JsonObject; seed?: number; cases?: number; signer?: { party: string; keyId: string; secretKey: Uint8Array }; claimedTime?: string } = {},
): { position: number; duplicate: boolean; filing: Filing } {
  const payload = filingPayload(detectorId, options);
  const signer = options.signer ?? { party: OPERATOR_PARTY, keyId: ledger.operatorKeyId, secretKey: ledger.requireSecret() };
  const signed = signDocument(
    { kind: 'detector_filing', signer: { party: signer.party, keyId: signer.keyId }, claimedTime: options.claimedTime ?? new Date().toISOString(), payload },
    signer.secretKey,
    { sha256, ed25519 },
  );
  return recordFiling(ledger, signed);
}

export function filingAt(db: SqlConnection, position: number): Filing | undefined {
  const row = stmt(db, 'SELECT * FROM oversight_filings WHERE position = ?').get(position) as FilingRow | undefined;
  return row && fromRow(row);
}

/** The newest filing of a detector version, if any. */
export function currentFiling(db: SqlConnection, detector: string, version: string): Filing | undefined {
  const row = stmt(db, 'SELECT * FROM oversight_filings WHERE detector = ? AND version = ? ORDER BY position DESC LIMIT 1').get(detector, version) as FilingRow | undefined;
  return row && fromRow(row);
}

/** The filing a detector runs under; throws OVERSIGHT_NOT_FILED when this build's version was never filed. */
export function requireFiling(db: SqlConnection, detectorId: string): Filing {
  const detector = detectorById(detectorId);
  const filing = currentFiling(db, detector.id, detector.version);
  if (!filing) {
    const filed = stmt(db, 'SELECT DISTINCT version FROM oversight_filings WHERE detector = ? ORDER BY version').pluck().all(detector.id) as string[];
    throw new OversightError('OVERSIGHT_NOT_FILED', `detector ${detector.id} version ${detector.version} is not filed in this ledger${filed.length ? ` (filed: ${filed.join(', ')})` : ''}; file it with drugtrace detectors file ${detector.id}`, {
      detector: detector.id,
      version: detector.version,
      filedVersions: filed,
      rule: 'a detector runs only after its version is filed with its validation',
    });
  }
  return filing;
}

/** Every filing, oldest first; and for each known detector whether its current version is filed. */
export function listFilings(db: SqlConnection): { filings: Filing[]; detectors: Array<{ id: string; version: string; filed: number | null }> } {
  const filings = (stmt(db, 'SELECT * FROM oversight_filings ORDER BY position').all() as FilingRow[]).map(fromRow);
  return {
    filings,
    detectors: DETECTORS.map((d) => ({ id: d.id, version: d.version, filed: currentFiling(db, d.id, d.version)?.position ?? null })),
  };
}
