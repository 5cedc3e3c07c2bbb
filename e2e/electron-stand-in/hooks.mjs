// A module resolve hook (node:module register): `electron` becomes the stand-in beside
// this file, so that the built main process loads in plain Node. See electron.ts.
const STAND_IN = new URL('./electron.ts', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: STAND_IN, shortCircuit: true };
  return next(specifier, context);
}
