/**
 * The labelled synthetic validation sets (docs/oversight.md, "Validation"): for each detector a
 * generator draws scenarios — ones that must fire, near-misses, and the realistic confusions the
 * detector's rule cannot tell apart — labelled with the ground truth of how they were made, not
 * with the detector's rule. The same seed gives the same set (and the same SHA-256 of its
 * canonical JSON) everywhere; precision and recall of the pure core follow from it.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../ledger/canonical.ts';
import type { JsonObject, JsonValue } from '../../ledger/entry.ts';
import { SeededRandom } from './random.ts';
import type { Detector, LabelledCase } from './types.ts';

export const SYNTHETIC_GENERATOR = 'drugtrace-synthetic/v1';
export const DEFAULT_SEED = 20261127;
export const DEFAULT_CASES = 1000;

export interface Validation extends JsonObject {
  generator: string;
  seed: number;
  cases: number;
  positives: number;
  /** SHA-256 (hex) of the RFC 8785 JSON of the labelled cases. */
  datasetSha256: string;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  /** tp / (tp + fp), 4 decimals; null when the detector never fired. */
  precision: number | null;
  /** tp / (tp + fn), 4 decimals; null when the set holds no positive. */
  recall: number | null;
}

/** A per-detector stream: the seed mixed with the detector id (FNV-1a), so sets differ between detectors. */
function streamSeed(seed: number, id: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

export function syntheticSet(detector: Detector, seed = DEFAULT_SEED, cases = DEFAULT_CASES): LabelledCase[] {
  return detector.synthetic(new SeededRandom(streamSeed(seed, detector.id)), cases);
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** Runs the detector's pure core over its synthetic set and counts against the truth. */
export function validateDetector(detector: Detector, parameters: JsonObject, seed = DEFAULT_SEED, cases = DEFAULT_CASES): Validation {
  const set = syntheticSet(detector, seed, cases);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const c of set) {
    const fired = detector.decide(parameters, c.input);
    if (fired && c.truth) tp++;
    else if (fired) fp++;
    else if (c.truth) fn++;
    else tn++;
  }
  const datasetSha256 = createHash('sha256').update(canonicalJson(set as unknown as JsonValue), 'utf8').digest('hex');
  return {
    generator: SYNTHETIC_GENERATOR,
    seed,
    cases,
    positives: tp + fn,
    datasetSha256,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    trueNegatives: tn,
    precision: tp + fp === 0 ? null : round4(tp / (tp + fp)),
    recall: tp + fn === 0 ? null : round4(tp / (tp + fn)),
  };
}
