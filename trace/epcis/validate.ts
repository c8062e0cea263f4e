/**
 * EPCIS 2.0 document validation against GS1's EPCIS 2.0 JSON Schema (schemas/epcis/, see its
 * NOTICE.md), compiled once with ajv on first use. One refusal lists every violation found, each
 * with the JSON pointer of the offending value and the schema rule it broke, so a sender can fix
 * a document in one round.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import epcisSchema from '../../schemas/epcis/EPCIS-JSON-Schema.json' with { type: 'json' };
import { EpcisError, type SchemaViolation } from './errors.ts';

export const EPCIS_DOCUMENT_TYPES = ['EPCISDocument', 'EPCISQueryDocument'] as const;
export type EpcisDocumentType = (typeof EPCIS_DOCUMENT_TYPES)[number];

/** A document that passed validation: at least a JSON object with a document `type`. */
export interface EpcisDocumentJson {
  readonly type: EpcisDocumentType;
  readonly '@context'?: unknown;
  readonly [key: string]: unknown;
}

// ajv-formats is CommonJS with a default export; under NodeNext the default import is the module.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as AddFormats;

/** The schema compiled twice, each on first use: stopping at the first violation, and collecting all of them. */
const compiled = new Map<boolean, ValidateFunction>();

/**
 * http(s)://host/path with a plain host name and path segments of RFC 3986 pchar characters (no
 * percent escapes, query or fragment): every string it accepts, ajv-formats' full `uri` pattern
 * accepts too (same scheme, reg-name and pchar classes, case-insensitive like it).
 */
export const SIMPLE_HTTP_URI = /^https?:\/\/[a-z0-9.-]+(?:\/[a-z0-9\-._~!$&'()*+,;=:@]*)*$/i;

/**
 * The schema with `epcList` items written out (`{"type": "string", "format": "uri"}`, what their
 * `$ref` to `#/definitions/uri` says) instead of referenced. Only then does ajv see that the items
 * are strings and check `uniqueItems` in one pass; behind a `$ref` it compares every pair (a
 * commissioning event of 1,000 codes: half a million comparisons, more than half of all
 * validation time). Valid and invalid documents are the same either way; a refusal's violations
 * come from the unchanged schema (allErrors validator). Unchanged if the schema is not as expected.
 */
function withInlineEpcListItems(schema: typeof epcisSchema): object {
  const definitions = (schema as { definitions?: Record<string, unknown> }).definitions;
  const epcList = definitions?.epcList as { items?: unknown } | undefined;
  const uri = definitions?.uri as Record<string, unknown> | undefined;
  const plainUri = uri && Object.keys(uri).length === 2 && uri.type === 'string' && uri.format === 'uri';
  if (!epcList || !plainUri || JSON.stringify(epcList.items) !== JSON.stringify({ $ref: '#/definitions/uri' })) return schema;
  return { ...schema, definitions: { ...definitions, epcList: { ...epcList, items: { type: 'string', format: 'uri' } } } };
}

function schemaValidator(allErrors: boolean): ValidateFunction {
  let validate = compiled.get(allErrors);
  if (validate === undefined) {
    // strict: false because GS1's schema uses draft-07 idioms ajv's strict mode flags (e.g.
    // "type" next to "$ref").
    const ajv = new Ajv({ allErrors, strict: false });
    addFormats(ajv);
    const fullUri = ajv.formats.uri;
    if (typeof fullUri === 'function' || fullUri instanceof RegExp) {
      const full = typeof fullUri === 'function' ? (fullUri as (text: string) => boolean) : (text: string) => fullUri.test(text);
      // Every identifier is a "uri": most are plain http(s) URLs, which SIMPLE_HTTP_URI (a subset of
      // the full RFC 3986 pattern) accepts at a fraction of its cost; anything else gets the full one.
      ajv.addFormat('uri', (text: string) => SIMPLE_HTTP_URI.test(text) || full(text));
    }
    validate = ajv.compile(allErrors ? epcisSchema : withInlineEpcListItems(epcisSchema));
    compiled.set(allErrors, validate);
  }
  return validate;
}

function pointerSegment(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The JSON pointer of the value an error is about (for `required`, the missing property). */
function violationPath(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  for (const key of ['missingProperty', 'additionalProperty', 'propertyName'] as const) {
    if (typeof params[key] === 'string') return `${error.instancePath}/${pointerSegment(params[key] as string)}`;
  }
  return error.instancePath;
}

const ALTERNATIVES = new Set(['anyOf', 'oneOf']);

/**
 * ajv's raw list repeats itself: every failed `anyOf` also reports each failed branch, and every
 * `if`/`then` adds a wrapper error. Keep what a person can act on: the `anyOf` (with its branches
 * summarised in the message), the real leaf errors, no wrappers, no duplicates.
 */
export function violationsFromAjv(errors: readonly ErrorObject[]): SchemaViolation[] {
  // Errors raised while checking a property *name* carry `propertyName`; the `propertyNames`
  // error that follows them says everything needed, with the name.
  const aboutName = (e: ErrorObject) => e.propertyName !== undefined;
  const alternativePaths = new Set(errors.filter((e) => ALTERNATIVES.has(e.keyword) && !aboutName(e)).map((e) => e.instancePath));
  const isBranchError = (e: ErrorObject) =>
    !ALTERNATIVES.has(e.keyword) &&
    (/\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath) ||
      (alternativePaths.has(e.instancePath) && !['required', 'propertyNames', 'additionalProperties'].includes(e.keyword)));

  const seen = new Set<string>();
  const violations: SchemaViolation[] = [];
  for (const error of errors) {
    if (error.keyword === 'if' || aboutName(error) || isBranchError(error)) continue;
    let message = error.message ?? error.keyword;
    if (error.keyword === 'propertyNames') {
      const name = String((error.params as { propertyName?: unknown }).propertyName);
      message = `property name ${JSON.stringify(name)} is not allowed here: neither a field of this structure nor an extension named by a prefix (ex:name) or URI`;
    }
    if (ALTERNATIVES.has(error.keyword)) {
      const branchOf = (e: ErrorObject) =>
        isBranchError(e) &&
        !aboutName(e) &&
        e.keyword !== 'if' &&
        (e.schemaPath.startsWith(`${error.schemaPath}/`) ||
          (e.instancePath === error.instancePath && !/\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath)));
      const branches = [
        ...new Set(
          errors.filter(branchOf).map((e) => {
            const relative = e.instancePath.slice(error.instancePath.length);
            return `${relative ? `${relative} ` : ''}${e.message ?? e.keyword}`;
          }),
        ),
      ];
      if (branches.length > 0) message = `must match one of the alternatives (${branches.join('; ')})`;
    }
    const violation: SchemaViolation = { path: violationPath(error), rule: error.keyword, schemaPath: error.schemaPath, message };
    const key = `${violation.path}\u0000${violation.rule}\u0000${violation.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    violations.push(violation);
  }
  return violations;
}

/** Deepest nesting of objects and arrays a document may have (a sensor report inside an event is about 8). */
export const MAX_EPCIS_DEPTH = 64;

/** EPCIS_TOO_DEEP past MAX_EPCIS_DEPTH, walking without recursion so the check itself cannot overflow. */
function refuseDeepNesting(input: object): void {
  const stack: Array<[unknown, number]> = [[input, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > MAX_EPCIS_DEPTH) {
      throw new EpcisError('EPCIS_TOO_DEEP', `the document nests objects and arrays more than ${MAX_EPCIS_DEPTH} levels deep`, { value: MAX_EPCIS_DEPTH });
    }
    for (const child of Array.isArray(value) ? value : Object.values(value as object)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
}

/**
 * Checks that `input` is an EPCIS 2.0 document (EPCISDocument or EPCISQueryDocument) valid
 * against the EPCIS 2.0 JSON Schema, and returns it typed. Throws EpcisError:
 * EPCIS_NOT_A_DOCUMENT when it is not a JSON object with a document `type`; EPCIS_TOO_DEEP when it
 * nests deeper than MAX_EPCIS_DEPTH; EPCIS_SCHEMA, with
 * every violation in `details.violations`, when the schema refuses it.
 */
export function validateEpcisDocument(input: unknown): EpcisDocumentJson {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new EpcisError('EPCIS_NOT_A_DOCUMENT', 'an EPCIS document must be a JSON object', { path: '', value: Array.isArray(input) ? 'array' : input });
  }
  refuseDeepNesting(input);
  const type = (input as Record<string, unknown>).type;
  if (typeof type !== 'string' || !(EPCIS_DOCUMENT_TYPES as readonly string[]).includes(type)) {
    throw new EpcisError(
      'EPCIS_NOT_A_DOCUMENT',
      `/type: ${JSON.stringify(type)} is not an EPCIS document type (${EPCIS_DOCUMENT_TYPES.join(' or ')})`,
      { path: '/type', value: type },
    );
  }
  // Whether a document is valid does not depend on allErrors; the validator that stops at the
  // first violation is ~25% faster on valid documents, and a refusal is checked again with the one
  // that reports every violation.
  if (!schemaValidator(false)(input) && !schemaValidator(true)(input)) {
    const violations = violationsFromAjv(schemaValidator(true).errors ?? []);
    const summary = violations.map((v) => `${v.path || '/'}: ${v.message}`).join('; ');
    throw new EpcisError('EPCIS_SCHEMA', `EPCIS document breaks the EPCIS 2.0 JSON Schema (${violations.length}): ${summary}`, {
      violations,
    });
  }
  return input as EpcisDocumentJson;
}

/** Parses JSON text and validates it as an EPCIS 2.0 document (EPCIS_NOT_A_DOCUMENT if not JSON). */
export function parseEpcisDocument(text: string): EpcisDocumentJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EpcisError('EPCIS_NOT_A_DOCUMENT', `not JSON: ${(error as Error).message}`, { path: '' });
  }
  return validateEpcisDocument(parsed);
}
