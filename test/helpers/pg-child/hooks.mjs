// Module resolve hook for test/helpers/pg-child/register.mjs. TypeScript itself is loaded by the
// process's own tsx loader.
const REPLACEMENT = new URL('./sqlite.ts', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (resolved.url.endsWith('/schemas/sqlite.ts') && context.parentURL !== REPLACEMENT) return { ...resolved, url: REPLACEMENT, shortCircuit: true };
  return resolved;
}
