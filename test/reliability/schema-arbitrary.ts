/**
 * fast-check values for the JSON Schemas an OpenAPI document declares: values that fit the schema
 * (to get past validation into the handler), the same values with one part broken (to hit every
 * refusal), and plain garbage.
 */
import fc from 'fast-check';
import { NASTY_STRINGS } from './api-fixture.ts';

type Schema = Record<string, any>;

const nasty = fc.constantFrom(...NASTY_STRINGS);

/** Any JSON value, nasty strings included. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: nasty },
  { weight: 1, arbitrary: fc.dictionary(fc.oneof(nasty, fc.string()), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
);

/** A value that fits `schema` as far as this generator understands it (patterns, enums, formats, bounds). */
export function fitting(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return anyJson;
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  for (const key of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(schema[key])) return fc.oneof(...(schema[key] as Schema[]).map((s) => fitting(s, depth + 1)));
  }
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : schema.properties ? ['object'] : [];
  if (types.length === 0) return anyJson;
  return fc.oneof(...types.map((t) => fittingType(schema, t, depth)));
}

function fittingType(schema: Schema, type: string, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const min = schema.minimum ?? -1_000;
      const max = schema.maximum ?? 1_000_000;
      // Mostly small: positions, sizes and counts near the data a test ledger holds.
      return fc.oneof({ weight: 3, arbitrary: fc.integer({ min: Math.max(min, 0), max: Math.min(max, 100) }) }, { weight: 1, arbitrary: fc.integer({ min, max }) });
    }
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'string': {
      if (schema.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      const max = Math.min(schema.maxLength ?? 40, 300);
      if (typeof schema.pattern === 'string') {
        return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? Infinity));
      }
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.max(max, schema.minLength ?? 0) });
    }
    case 'array':
      return fc.array(fitting(schema.items, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case 'object': {
      const props: Record<string, Schema> = schema.properties ?? {};
      const required = new Set<string>(schema.required ?? []);
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, s] of Object.entries(props)) model[name] = fitting(s, depth + 1);
      return fc.record(model, { requiredKeys: [...required].filter((k) => k in model) });
    }
    default:
      return anyJson;
  }
}

/** `value` with one part replaced by garbage, removed, or an extra field added. */
export function broken(value: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(value, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.constantFrom('replace', 'delete', 'add'), anyJson).map(([v, path, how, junk]) => mutate(v, path, how, junk));
}

/** Applies one mutation at the place `path` picks (indexes modulo the keys at each level). */
export function mutate(v: unknown, path: number[], how: 'replace' | 'delete' | 'add', junk: unknown): unknown {
  if (v === null || typeof v !== 'object' || path.length === 0) return how === 'add' && v && typeof v === 'object' ? { ...v, 'x-unknown': junk } : junk;
  const copy: any = Array.isArray(v) ? [...v] : { ...v };
  const keys = Object.keys(copy);
  if (keys.length === 0) return how === 'add' ? (Array.isArray(copy) ? [junk] : { 'x-unknown': junk }) : junk;
  const key = keys[path[0] % keys.length];
  if (path.length === 1) {
    if (how === 'delete') {
      if (Array.isArray(copy)) copy.splice(Number(key), 1);
      else delete copy[key];
    } else if (how === 'add') {
      if (Array.isArray(copy)) copy.push(junk);
      else copy[`x-${key}`] = junk;
    } else copy[key] = junk;
    return copy;
  }
  copy[key] = mutate(copy[key], path.slice(1), how, junk);
  return copy;
}
