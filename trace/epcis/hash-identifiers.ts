/**
 * Identifier forms for the CBV 2.0 event hash (CBV 2.0 §8.9, rules on EPC URIs and Digital Link):
 * every EPC URI, EPC Class URI and EPC ID Pattern URI is rewritten as a GS1 Digital Link URI on
 * https://id.gs1.org, and every Digital Link URI is "constrained": GS1's domain, no query string,
 * and only the finest level of identification (serial wins over lot; CPV dropped).
 *
 * This is deliberately separate from the project's general canonical identifier (codes/): the
 * hash has its own, narrower rule (e.g. it drops the lot when a serial is present) and must give
 * the same answer as every other implementation, so it follows the published algorithm exactly,
 * including its choice not to verify check digits (a hash describes what was written, it does not
 * judge it). Pure and browser-safe.
 */

export const GS1_RESOLVER = 'https://id.gs1.org';

/** GS1 mod-10 check digit for a digit string without its check digit (GS1 GenSpecs §7.9.1). */
export function gs1CheckDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const weight = (digits.length - i) % 2 === 1 ? 3 : 1;
    sum += (digits.charCodeAt(i) - 48) * weight;
  }
  return String((10 - (sum % 10)) % 10);
}

const DIGITS = /^\d+$/;
/** One character of an EPC URI component: the URN-safe set, or a %XX escape. */
const URN_COMPONENT = /^(?:[A-Za-z0-9!'()*+,\-.:;=_]|%[0-9A-Fa-f]{2})+$/;

/** Characters GS1 Digital Link wants percent-encoded that EPC URIs carry unescaped. */
function digitalLinkEscape(component: string): string {
  return component.replace(/[!()*+,:]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Length of a component counting each %XX escape as the one character it stands for. */
function decodedLength(component: string): number {
  return component.replace(/%[0-9A-Fa-f]{2}/g, '_').length;
}

function isCompanyPrefix(cp: string | undefined): cp is string {
  return cp !== undefined && DIGITS.test(cp) && cp.length >= 6 && cp.length <= 12;
}

function isComponent(value: string | undefined, min: number, max: number): value is string {
  if (value === undefined) return false;
  if (value.length === 0) return min === 0;
  if (!URN_COMPONENT.test(value)) return false;
  const n = decodedLength(value);
  return n >= min && n <= max;
}

/** GTIN-14 from an SGTIN-style company prefix and indicator+item reference. */
function gtinFrom(cp: string, indicatorItemRef: string): string | undefined {
  if (!DIGITS.test(indicatorItemRef) || cp.length + indicatorItemRef.length !== 13) return undefined;
  const body = indicatorItemRef[0] + cp + indicatorItemRef.slice(1);
  return body + gs1CheckDigit(body);
}

/** A 12-digit company-prefix + reference body with its check digit (GLN, GDTI, GCN, GRAI body). */
function key13From(cp: string, ref: string): string | undefined {
  if (!(ref === '' || DIGITS.test(ref)) || cp.length + ref.length !== 12) return undefined;
  const body = cp + ref;
  return body + gs1CheckDigit(body);
}

function fixedDigitsKey(cp: string, ref: string, totalWithoutCheck: number): string | undefined {
  if (!DIGITS.test(ref) || cp.length + ref.length !== totalWithoutCheck) return undefined;
  const body = cp + ref;
  return body + gs1CheckDigit(body);
}

/**
 * Splits the body of an EPC URI into `fixed` leading dot-separated fields and the remainder,
 * which keeps its dots (serials and asset references may contain '.').
 */
function splitFields(body: string, fixed: number): string[] | undefined {
  const parts: string[] = [];
  let rest = body;
  for (let i = 0; i < fixed; i++) {
    const dot = rest.indexOf('.');
    if (dot < 0) return undefined;
    parts.push(rest.slice(0, dot));
    rest = rest.slice(dot + 1);
  }
  parts.push(rest);
  return parts;
}

function dl(path: string): string {
  return GS1_RESOLVER + path;
}

function epcIdToDigitalLink(scheme: string, body: string): string | undefined {
  switch (scheme) {
    case 'sgtin': {
      const f = splitFields(body, 2);
      if (!f || !isCompanyPrefix(f[0]) || !isComponent(f[2], 1, 20)) return undefined;
      const gtin = gtinFrom(f[0], f[1]);
      return gtin && dl(`/01/${gtin}/21/${digitalLinkEscape(f[2])}`);
    }
    case 'sscc': {
      const f = body.split('.');
      if (f.length !== 2 || !isCompanyPrefix(f[0]) || !DIGITS.test(f[1]) || f[0].length + f[1].length !== 17) return undefined;
      const raw = f[1][0] + f[0] + f[1].slice(1);
      return dl(`/00/${raw}${gs1CheckDigit(raw)}`);
    }
    case 'sgln': {
      const f = splitFields(body, 2);
      if (!f || !isCompanyPrefix(f[0]) || !isComponent(f[2], 1, 20)) return undefined;
      const gln = key13From(f[0], f[1]);
      if (!gln) return undefined;
      // Extension "0" means "no extension" in the SGLN (TDS §6.3.3).
      return f[2] === '0' ? dl(`/414/${gln}`) : dl(`/414/${gln}/254/${digitalLinkEscape(f[2])}`);
    }
    case 'pgln': {
      const f = body.split('.');
      if (f.length !== 2 || !isCompanyPrefix(f[0])) return undefined;
      const gln = key13From(f[0], f[1]);
      return gln && dl(`/417/${gln}`);
    }
    case 'grai': {
      const f = splitFields(body, 2);
      if (!f || !isCompanyPrefix(f[0]) || !isComponent(f[2], 1, 16)) return undefined;
      const grai = key13From(f[0], f[1]);
      return grai && dl(`/8003/0${grai}${digitalLinkEscape(f[2])}`);
    }
    case 'giai': {
      const f = splitFields(body, 1);
      if (!f || !isCompanyPrefix(f[0]) || !isComponent(f[1], 1, 30 - f[0].length)) return undefined;
      return dl(`/8004/${f[0]}${digitalLinkEscape(f[1])}`);
    }
    case 'gsrn':
    case 'gsrnp': {
      const f = body.split('.');
      if (f.length !== 2 || !isCompanyPrefix(f[0])) return undefined;
      const key = fixedDigitsKey(f[0], f[1], 17);
      return key && dl(`/${scheme === 'gsrn' ? '8018' : '8017'}/${key}`);
    }
    case 'gdti': {
      const f = splitFields(body, 2);
      if (!f || !isCompanyPrefix(f[0]) || !isComponent(f[2], 1, 17)) return undefined;
      const gdti = key13From(f[0], f[1]);
      return gdti && dl(`/253/${gdti}${digitalLinkEscape(f[2])}`);
    }
    case 'sgcn': {
      const f = body.split('.');
      if (f.length !== 3 || !isCompanyPrefix(f[0]) || !/^\d{1,12}$/.test(f[2])) return undefined;
      const gcn = key13From(f[0], f[1]);
      return gcn && dl(`/255/${gcn}${f[2]}`);
    }
    case 'cpi': {
      const f = body.split('.');
      if (f.length !== 3 || !isCompanyPrefix(f[0]) || !/^\d{1,12}$/.test(f[2])) return undefined;
      if (!/^(?:[0-9A-Z-]|%2[3Ff])+$/.test(f[1]) || f[0].length + decodedLength(f[1]) > 30) return undefined;
      return dl(`/8010/${f[0]}${f[1]}/8011/${f[2]}`);
    }
    case 'ginc': {
      const f = splitFields(body, 1);
      if (!f || !isCompanyPrefix(f[0]) || !isComponent(f[1], 1, 30 - f[0].length)) return undefined;
      return dl(`/401/${f[0]}${digitalLinkEscape(f[1])}`);
    }
    case 'gsin': {
      const f = body.split('.');
      if (f.length !== 2 || !isCompanyPrefix(f[0])) return undefined;
      const key = fixedDigitsKey(f[0], f[1], 16);
      return key && dl(`/402/${key}`);
    }
    case 'itip': {
      const f = splitFields(body, 4);
      if (!f || !isCompanyPrefix(f[0]) || !/^\d{2}$/.test(f[2]) || !/^\d{2}$/.test(f[3])) return undefined;
      if (!isComponent(f[4], 1, 20)) return undefined;
      const gtin = gtinFrom(f[0], f[1]);
      return gtin && dl(`/8006/${gtin}${f[2]}${f[3]}/21/${digitalLinkEscape(f[4])}`);
    }
    case 'upui': {
      const f = splitFields(body, 2);
      if (!f || !isCompanyPrefix(f[0]) || !isComponent(f[2], 1, 28)) return undefined;
      const gtin = gtinFrom(f[0], f[1]);
      return gtin && dl(`/01/${gtin}/235/${digitalLinkEscape(f[2])}`);
    }
    default:
      return undefined;
  }
}

function epcClassToDigitalLink(scheme: string, body: string): string | undefined {
  if (scheme !== 'lgtin') return undefined;
  const f = splitFields(body, 2);
  if (!f || !isCompanyPrefix(f[0]) || !isComponent(f[2], 1, 20)) return undefined;
  const gtin = gtinFrom(f[0], f[1]);
  return gtin && dl(`/01/${gtin}/10/${digitalLinkEscape(f[2])}`);
}

/** EPC ID Pattern URIs that name a whole class (`CP.ItemRef.*`) map to the class's key. */
function epcPatternToDigitalLink(scheme: string, body: string): string | undefined {
  const f = body.split('.');
  if (f[f.length - 1] !== '*' || !isCompanyPrefix(f[0])) return undefined;
  switch (scheme) {
    case 'sgtin':
    case 'upui': {
      if (f.length !== 3) return undefined;
      const gtin = gtinFrom(f[0], f[1]);
      return gtin && dl(`/01/${gtin}`);
    }
    case 'grai': {
      if (f.length !== 3) return undefined;
      const grai = key13From(f[0], f[1]);
      return grai && dl(`/8003/0${grai}`);
    }
    case 'gdti':
    case 'sgcn': {
      if (f.length !== 3) return undefined;
      const key = key13From(f[0], f[1]);
      return key && dl(`/${scheme === 'gdti' ? '253' : '255'}/${key}`);
    }
    case 'cpi': {
      if (f.length !== 3 || !/^(?:[0-9A-Z-]|%2[3Ff])+$/.test(f[1])) return undefined;
      return dl(`/8010/${f[0]}${f[1]}`);
    }
    case 'itip': {
      if (f.length !== 5 || !/^\d{2}$/.test(f[2]) || !/^\d{2}$/.test(f[3])) return undefined;
      const gtin = gtinFrom(f[0], f[1]);
      return gtin && dl(`/8006/${gtin}${f[2]}${f[3]}`);
    }
    default:
      return undefined;
  }
}

/**
 * The Digital Link form of an EPC URI (`urn:epc:id:…`), EPC Class URI (`urn:epc:class:lgtin:…`)
 * or EPC ID Pattern URI (`urn:epc:idpat:…:CP.Ref.*`), or undefined when the URI is not one of the
 * GS1-key schemes or is malformed. Needs no company-prefix table: the URI's '.' marks the prefix.
 */
export function epcUriToDigitalLink(uri: string): string | undefined {
  const m = /^urn:epc:(id|class|idpat):([a-z]+):(.+)$/.exec(uri);
  if (!m) return undefined;
  const [, kind, scheme, body] = m;
  if (kind === 'id') return epcIdToDigitalLink(scheme, body);
  if (kind === 'class') return epcClassToDigitalLink(scheme, body);
  return epcPatternToDigitalLink(scheme, body);
}

/** Short names GS1 Digital Link 1.0 allowed in place of AIs, and the AIs they stand for. */
const DL_SHORT_NAMES: Readonly<Record<string, string>> = {
  gtin: '01', itip: '8006', cpid: '8010', gln: '414', party: '417', gsrnp: '8017', gsrn: '8018',
  gcn: '255', sscc: '00', gdti: '253', ginc: '401', gsin: '402', grai: '8003', giai: '8004',
  cpv: '22', lot: '10', ser: '21',
};

const PRIMARY_KEYS = new Set(['00', '01', '253', '255', '401', '402', '414', '417', '8003', '8004', '8006', '8010', '8017', '8018']);
const PATH_COMPONENT = /^(?:[^/%?#]|%[0-9A-Fa-f]{2})+$/;
const HTTP_URI = /^https?:\/\/[^/?#]+(\/[^?#]*)?(?:\?[^#]*)?(?:#.*)?$/i;
const STARTS_WITH_4_DIGITS = /^\d{4}/;
/** The key qualifiers a Digital Link may carry in its path, per primary key. */
const QUALIFIERS: Readonly<Record<string, ReadonlySet<string>>> = {
  '01': new Set(['22', '10', '21', '235']),
  '8006': new Set(['22', '10', '21']),
  '414': new Set(['254']),
  '8010': new Set(['8011']),
};
const NO_QUALIFIERS: ReadonlySet<string> = new Set();

function componentOk(value: string | undefined, min: number, max: number): boolean {
  if (value === undefined || !PATH_COMPONENT.test(value)) return false;
  const n = decodedLength(value);
  return n >= min && n <= max;
}

function keyLink(key: string, path: string): string {
  return `${GS1_RESOLVER}/${key}/${path}`;
}

function aiOf(segment: string): string {
  return DL_SHORT_NAMES[segment] ?? segment;
}

/**
 * The constrained canonical Digital Link the event hash uses: any host becomes id.gs1.org, the
 * query string and fragment go, short names become AIs, a GTIN-8/12/13 is padded to 14 digits,
 * the CPV (AI 22) is dropped and a lot (10) is dropped when a serial (21) is present. Returns
 * undefined when the URI does not carry a GS1 key in Digital Link path form.
 */
export function constrainedDigitalLink(uri: string): string | undefined {
  const m = HTTP_URI.exec(uri);
  if (!m || m[1] === undefined) return undefined;
  const segments = m[1].split('/').slice(1);
  if (segments[segments.length - 1] === '') segments.pop();
  // The key may follow a path prefix of the resolver's own (GS1 Digital Link §4.1).
  let start = -1;
  for (let i = 0; i + 1 < segments.length; i++) {
    if (PRIMARY_KEYS.has(aiOf(segments[i])) && STARTS_WITH_4_DIGITS.test(segments[i + 1])) {
      start = i;
      break;
    }
  }
  if (start < 0) return undefined;
  const key = aiOf(segments[start]);
  let keyValue = segments[start + 1];
  if ((segments.length - start) % 2 !== 0) return undefined;
  const allowed = QUALIFIERS[key] ?? NO_QUALIFIERS;
  const qualifiers = new Map<string, string>();
  for (let i = start + 2; i < segments.length; i += 2) {
    const q = aiOf(segments[i]);
    if (qualifiers.has(q) || !allowed.has(q)) return undefined;
    qualifiers.set(q, segments[i + 1]);
  }
  switch (key) {
    case '01':
    case '8006': {
      if (key === '01') {
        if (!/^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(keyValue)) return undefined;
        keyValue = keyValue.padStart(14, '0');
      } else if (!/^\d{18}$/.test(keyValue)) return undefined;
      const serial = qualifiers.get('21');
      const lot = qualifiers.get('10');
      const tpx = qualifiers.get('235');
      if (serial !== undefined) return componentOk(serial, 1, 20) ? keyLink(key, `${keyValue}/21/${serial}`) : undefined;
      if (lot !== undefined) return componentOk(lot, 1, 20) ? keyLink(key, `${keyValue}/10/${lot}`) : undefined;
      if (tpx !== undefined) return componentOk(tpx, 1, 28) ? keyLink(key, `${keyValue}/235/${tpx}`) : undefined;
      return keyLink(key, keyValue);
    }
    case '414': {
      if (!/^\d{13}$/.test(keyValue)) return undefined;
      const ext = qualifiers.get('254');
      if (ext === undefined) return keyLink(key, keyValue);
      return componentOk(ext, 1, 20) ? keyLink(key, `${keyValue}/254/${ext}`) : undefined;
    }
    case '8010': {
      if (!componentOk(keyValue, 1, 30)) return undefined;
      const serial = qualifiers.get('8011');
      if (serial === undefined) return keyLink(key, keyValue);
      return /^\d{1,12}$/.test(serial) ? keyLink(key, `${keyValue}/8011/${serial}`) : undefined;
    }
    case '00':
      return /^\d{18}$/.test(keyValue) ? keyLink(key, keyValue) : undefined;
    case '417':
      return /^\d{13}$/.test(keyValue) ? keyLink(key, keyValue) : undefined;
    case '402':
      return /^\d{17}$/.test(keyValue) ? keyLink(key, keyValue) : undefined;
    case '8017':
    case '8018':
      return /^\d{18}$/.test(keyValue) ? keyLink(key, keyValue) : undefined;
    case '253':
      return /^\d{13}/.test(keyValue) && componentOk(keyValue, 13, 30) ? keyLink(key, keyValue) : undefined;
    case '255':
      return /^\d{13,25}$/.test(keyValue) ? keyLink(key, keyValue) : undefined;
    case '8003':
      return /^\d{14}/.test(keyValue) && componentOk(keyValue, 14, 30) ? keyLink(key, keyValue) : undefined;
    case '401':
    case '8004':
      return componentOk(keyValue, 1, 30) ? keyLink(key, keyValue) : undefined;
    default:
      return undefined;
  }
}

/**
 * The form the event hash uses for any value: EPC URIs and Digital Link URIs become constrained
 * canonical Digital Link URIs; everything else (other URIs, free text) is returned unchanged.
 */
export function hashIdentifierForm(value: string): string {
  let form = hashForms.get(value);
  if (form === undefined) {
    form = hashFormOf(value);
    // Bounded: a capture stream names each code in many documents, but memory must not grow with the ledger.
    if (hashForms.size >= HASH_FORM_CACHE_SIZE) hashForms.clear();
    hashForms.set(value, form);
  }
  return form;
}

const HASH_FORM_CACHE_SIZE = 65_536;
/** hashIdentifierForm is pure: the same text always gives the same form. */
const hashForms = new Map<string, string>();

function hashFormOf(value: string): string {
  if (value.startsWith('urn:epc:')) return epcUriToDigitalLink(value) ?? value;
  if (/^https?:\/\//i.test(value)) return constrainedDigitalLink(value) ?? value;
  return value;
}
