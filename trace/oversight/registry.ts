/** The detectors this build knows, by id (docs/oversight.md). */
import { coldChain } from './detectors/cold-chain.ts';
import { diversion } from './detectors/diversion.ts';
import { duplicateCode } from './detectors/duplicate-code.ts';
import { recalledExpired } from './detectors/recalled-expired.ts';
import { unknownCode } from './detectors/unknown-code.ts';
import { volumeAnomaly } from './detectors/volume-anomaly.ts';
import { OversightError } from './errors.ts';
import type { Detector } from './types.ts';

export const DETECTORS: readonly Detector[] = [duplicateCode, unknownCode, diversion, recalledExpired, coldChain, volumeAnomaly];

export function detectorById(id: string): Detector {
  const d = DETECTORS.find((x) => x.id === id);
  if (!d) throw new OversightError('OVERSIGHT_UNKNOWN_DETECTOR', `no detector ${JSON.stringify(id)} (known: ${DETECTORS.map((x) => x.id).join(', ')})`, { detector: id, known: DETECTORS.map((x) => x.id) });
  return d;
}
