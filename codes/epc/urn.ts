/**
 * EPC pure-identity URNs (EPC Tag Data Standard) for the GS1 keys DrugTrace uses, and their
 * GS1 Digital Link equivalents:
 *
 *   urn:epc:id:sgtin:0614141.112345.400     ⇄ https://id.gs1.org/01/10614141123459/21/400
 *   urn:epc:id:sscc:0614141.1234567890      ⇄ https://id.gs1.org/00/106141412345678908
 *   urn:epc:id:sgln:0614141.12345.5678      ⇄ https://id.gs1.org/414/0614141123452/254/5678
 *   urn:epc:class:lgtin:0614141.112345.L1   ⇄ https://id.gs1.org/01/10614141123459/10/L1
 *
 * The URN marks where the GS1 Company Prefix ends; a GS1 key does not, so the reverse needs the
 * prefix length (6..12), given directly or looked up in a table. No node: imports (browser-safe).
 */
import { buildDigitalLink, gs1CheckDigit, parseDigitalLink, type GS1Element } from '../gs1/index.ts';
import { EpcError } from './errors.ts';

export type EpcIdentifier =
  | { kind: 'sgtin'; companyPrefix: string; indicator: string; itemReference: string; serial: string; gtin: string }
  | { kind: 'lgtin'; companyPrefix: string; indicator: string; itemReference: string; lot: string; gtin: string }
  | { kind: 'sscc'; companyPrefix: string; extension: string; serialReference: string; sscc: string }
  | { kind: 'sgln'; companyPrefix: string; locationReference: string; extension: string | null; gln: string };

export type EpcKind = EpcIdentifier['kind'];

/**
 * Where the GS1 Company Prefix length comes from: a number, a list of known prefixes (the
 * longest one the key starts with wins), or a function of the key's digits after any
 * indicator/extension digit.
 */
export type CompanyPrefixSource = number | { prefixes: Iterable<string> } | ((digits: string) => number | undefined);

const SCHEMES: Record<string, EpcKind> = {
  'urn:epc:id:sgtin:': 'sgtin',
  'urn:epc:id:sscc:': 'sscc',
  'urn:epc:id:sgln:': 'sgln',
  'urn:epc:class:lgtin:': 'lgtin',
};

// TDS: these CSET 82 characters must be %-escaped in a URN component; the rest stand for themselves.
const MUST_ESCAPE: Record<string, string> = { '"': '%22', '%': '%25', '&': '%26', '/': '%2F', '<': '%3C', '>': '%3E', '?': '%3F' };
const ESCAPED: Record<string, string> = Object.fromEntries(Object.entries(MUST_ESCAPE).map(([ch, esc]) => [esc, ch]));
const LITERAL = /[A-Za-z0-9!'()*+,\-.:;=_]/;
const MAX_COMPONENT = 20;

/** Escapes a serial, lot or GLN extension (CSET 82) for an EPC URN. */
export function escapeEpcComponent(value: string, field = 'serial'): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (LITERAL.test(ch)) out += ch;
    else if (MUST_ESCAPE[ch]) out += MUST_ESCAPE[ch];
    else {
      throw new EpcError('EPC_BAD_CHARACTER', `EPC ${field}: character ${JSON.stringify(ch)} at position ${i + 1} is not in GS1 CSET 82`, {
        position: i + 1,
        field,
      });
    }
  }
  return out;
}

/**
 * Reads an escaped URN component; `offset` is where it starts in the URN, for error positions.
 * Only the seven TDS escapes are accepted (hex digits in either case).
 */
export function unescapeEpcComponent(text: string, field = 'serial', offset = 0): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '%') {
      const esc = text.slice(i, i + 3).toUpperCase();
      const decoded = ESCAPED[esc];
      if (!decoded) {
        throw new EpcError('EPC_BAD_ESCAPE', `EPC ${field}: ${JSON.stringify(text.slice(i, i + 3))} at position ${offset + i + 1} is not one of the escapes %22 %25 %26 %2F %3C %3E %3F`, {
          position: offset + i + 1,
          field,
        });
      }
      out += decoded;
      i += 2;
    } else if (LITERAL.test(ch)) out += ch;
    else {
      throw new EpcError('EPC_BAD_CHARACTER', `EPC ${field}: character ${JSON.stringify(ch)} at position ${offset + i + 1} is not allowed unescaped in an EPC URN`, {
        position: offset + i + 1,
        field,
      });
    }
  }
  if (out.length < 1 || out.length > MAX_COMPONENT) {
    throw new EpcError('EPC_COMPONENT_LENGTH', `EPC ${field}: ${out.length} characters, expected 1..${MAX_COMPONENT}`, { position: offset + 1, field });
  }
  return out;
}

function digitsField(text: string, field: string, offset: number, allowEmpty = false): string {
  if (text.length === 0 && allowEmpty) return text;
  const bad = text.search(/[^0-9]/);
  if (bad >= 0 || text.length === 0) {
    throw new EpcError('EPC_NOT_DIGITS', `EPC ${field}: ${text.length === 0 ? 'empty' : `character ${JSON.stringify(text[bad])}`} at position ${offset + Math.max(bad, 0) + 1}, expected digits`, {
      position: offset + Math.max(bad, 0) + 1,
      field,
    });
  }
  return text;
}

function withCheck(digits: string): string {
  return digits + String(gs1CheckDigit(digits));
}

/** Parses an sgtin, sscc or sgln pure-identity URN, or an lgtin class URN. */
export function parseEpcUrn(urn: string): EpcIdentifier {
  const lower = urn.slice(0, 22).toLowerCase();
  const prefix = Object.keys(SCHEMES).find((p) => lower.startsWith(p));
  if (!prefix) {
    if (/^urn:epc:(id|class|idpat|tag|raw):/i.test(urn)) {
      throw new EpcError('EPC_UNKNOWN_SCHEME', `EPC URN scheme ${JSON.stringify(urn.split(':').slice(0, 4).join(':'))} is not supported (sgtin, sscc, sgln, lgtin)`, {
        position: 1,
        input: urn,
      });
    }
    throw new EpcError('EPC_NOT_URN', `${JSON.stringify(urn.slice(0, 40))} is not an EPC URN (urn:epc:id:… or urn:epc:class:lgtin:…)`, { position: 1, input: urn });
  }
  const kind = SCHEMES[prefix];
  const body = urn.slice(prefix.length);
  const expected = kind === 'sscc' ? 2 : 3;
  // Serials, lots and extensions may themselves contain '.', so only the first dots separate fields.
  const parts = body.split('.');
  const fields = parts.length > expected ? [...parts.slice(0, expected - 1), parts.slice(expected - 1).join('.')] : parts;
  if (fields.length !== expected || (kind === 'sscc' && parts.length !== 2)) {
    throw new EpcError('EPC_FIELD_COUNT', `EPC ${kind}: ${parts.length} dot-separated fields, expected ${expected}`, { position: prefix.length + 1, input: urn });
  }
  const at = (n: number) => prefix.length + fields.slice(0, n).reduce((s, f) => s + f.length + 1, 0);
  const companyPrefix = digitsField(fields[0], 'company prefix', at(0));
  const L = companyPrefix.length;
  if (L < 6 || L > 12) {
    throw new EpcError('EPC_PREFIX_LENGTH', `EPC ${kind}: company prefix has ${L} digits, expected 6..12`, { position: at(0) + 1, field: 'company prefix', input: urn });
  }
  const fieldLength = (text: string, want: number, field: string, offset: number) => {
    if (text.length !== want) {
      throw new EpcError('EPC_FIELD_LENGTH', `EPC ${kind}: ${field} has ${text.length} digits, expected ${want} with a ${L}-digit company prefix`, {
        position: offset + 1,
        field,
        input: urn,
      });
    }
  };

  switch (kind) {
    case 'sgtin':
    case 'lgtin': {
      const ref = digitsField(fields[1], 'indicator and item reference', at(1));
      fieldLength(ref, 13 - L, 'indicator and item reference', at(1));
      const gtin = withCheck(ref[0] + companyPrefix + ref.slice(1));
      const base = { companyPrefix, indicator: ref[0], itemReference: ref.slice(1), gtin };
      return kind === 'sgtin'
        ? { kind, ...base, serial: unescapeEpcComponent(fields[2], 'serial', at(2)) }
        : { kind, ...base, lot: unescapeEpcComponent(fields[2], 'lot', at(2)) };
    }
    case 'sscc': {
      const ref = digitsField(fields[1], 'extension and serial reference', at(1));
      fieldLength(ref, 17 - L, 'extension and serial reference', at(1));
      return { kind, companyPrefix, extension: ref[0], serialReference: ref.slice(1), sscc: withCheck(ref[0] + companyPrefix + ref.slice(1)) };
    }
    case 'sgln': {
      const ref = digitsField(fields[1], 'location reference', at(1), L === 12);
      fieldLength(ref, 12 - L, 'location reference', at(1));
      // TDS: extension "0" stands for "no extension".
      const ext = fields[2] === '0' ? null : unescapeEpcComponent(fields[2], 'extension', at(2));
      return { kind, companyPrefix, locationReference: ref, extension: ext, gln: withCheck(companyPrefix + ref) };
    }
  }
}

/** Writes the URN of an identifier (its fields, not its GS1 key, are used). */
export function formatEpcUrn(id: EpcIdentifier): string {
  switch (id.kind) {
    case 'sgtin':
      return `urn:epc:id:sgtin:${id.companyPrefix}.${id.indicator}${id.itemReference}.${escapeEpcComponent(id.serial)}`;
    case 'lgtin':
      return `urn:epc:class:lgtin:${id.companyPrefix}.${id.indicator}${id.itemReference}.${escapeEpcComponent(id.lot, 'lot')}`;
    case 'sscc':
      return `urn:epc:id:sscc:${id.companyPrefix}.${id.extension}${id.serialReference}`;
    case 'sgln':
      return `urn:epc:id:sgln:${id.companyPrefix}.${id.locationReference}.${id.extension === null ? '0' : escapeEpcComponent(id.extension, 'extension')}`;
  }
}

/** The GS1 element strings an EPC identifier stands for: key first, then its qualifier. */
export function epcToElements(id: EpcIdentifier): GS1Element[] {
  switch (id.kind) {
    case 'sgtin':
      return [{ ai: '01', value: id.gtin }, { ai: '21', value: id.serial }];
    case 'lgtin':
      return [{ ai: '01', value: id.gtin }, { ai: '10', value: id.lot }];
    case 'sscc':
      return [{ ai: '00', value: id.sscc }];
    case 'sgln':
      return id.extension === null ? [{ ai: '414', value: id.gln }] : [{ ai: '414', value: id.gln }, { ai: '254', value: id.extension }];
  }
}

export function epcUrnToDigitalLink(urn: string, opts: { base?: string } = {}): string {
  return buildDigitalLink(epcToElements(parseEpcUrn(urn)), opts);
}

/** The GS1 Company Prefix length for a key's digits (after any indicator or extension digit). */
export function companyPrefixLength(digits: string, source: CompanyPrefixSource | undefined): number {
  let length: number | undefined;
  if (typeof source === 'number') length = source;
  else if (typeof source === 'function') length = source(digits);
  else if (source) {
    for (const p of source.prefixes) if (digits.startsWith(p) && (length === undefined || p.length > length)) length = p.length;
  }
  if (length === undefined) {
    throw new EpcError('EPC_PREFIX_UNKNOWN', `the GS1 Company Prefix length of ${digits} is not known: pass it or a prefix table`, { field: 'company prefix' });
  }
  if (!Number.isInteger(length) || length < 6 || length > 12) {
    throw new EpcError('EPC_PREFIX_LENGTH', `company prefix length ${length} must be 6..12`, { field: 'company prefix' });
  }
  return length;
}

/**
 * The EPC identifier for GS1 elements: (01)+(21) sgtin, (01)+(10) lgtin, (00) sscc, (414)[+(254)]
 * sgln. Other elements (dates, quantities) are not part of the identity and are ignored; with
 * both (21) and (10) the serial wins, since it alone identifies the instance.
 */
export function elementsToEpc(elements: readonly GS1Element[], prefix: CompanyPrefixSource | undefined): EpcIdentifier {
  const get = (ai: string) => elements.find((e) => e.ai === ai)?.value;
  const gtin = get('01');
  if (gtin !== undefined) {
    const L = companyPrefixLength(gtin.slice(1), prefix);
    const base = { companyPrefix: gtin.slice(1, 1 + L), indicator: gtin[0], itemReference: gtin.slice(1 + L, 13), gtin };
    const serial = get('21');
    if (serial !== undefined) return { kind: 'sgtin', ...base, serial };
    const lot = get('10');
    if (lot !== undefined) return { kind: 'lgtin', ...base, lot };
    throw new EpcError('EPC_NOT_CONVERTIBLE', `GTIN ${gtin} without a serial (21) or lot (10) has no EPC URN`, { field: 'gtin' });
  }
  const sscc = get('00');
  if (sscc !== undefined) {
    const L = companyPrefixLength(sscc.slice(1), prefix);
    return { kind: 'sscc', companyPrefix: sscc.slice(1, 1 + L), extension: sscc[0], serialReference: sscc.slice(1 + L, 17), sscc };
  }
  const gln = get('414');
  if (gln !== undefined) {
    const L = companyPrefixLength(gln, prefix);
    const ext = get('254');
    return { kind: 'sgln', companyPrefix: gln.slice(0, L), locationReference: gln.slice(L, 12), extension: ext === undefined || ext === '0' ? null : ext, gln };
  }
  throw new EpcError('EPC_NOT_CONVERTIBLE', `no GTIN (01), SSCC (00) or GLN (414) to make an EPC URN from (AIs: ${elements.map((e) => e.ai).join(', ') || 'none'})`, {});
}

export function digitalLinkToEpcUrn(uri: string, prefix: CompanyPrefixSource | undefined): string {
  return formatEpcUrn(elementsToEpc(parseDigitalLink(uri), prefix));
}
