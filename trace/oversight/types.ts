/** The shape every detector module has (docs/oversight.md, "Detectors"). */
import type { SqlConnection } from '../../schemas/connection.ts';
import type { JsonObject, JsonValue } from '../../ledger/entry.ts';
import type { SeededRandom } from './random.ts';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

/**
 * What a run looks at: one new capture entry (the capture hook), some new observations (a refused
 * capture, a public verify), or every event and observation in a time range (batch re-run).
 */
export type Scope =
  | { kind: 'entry'; position: number }
  | { kind: 'observations'; ids: number[] }
  | { kind: 'range'; from: string; to: string };

export interface Evidence {
  /** Ledger positions (and item indexes of capture entries) the finding rests on. */
  positions: Array<{ position: number; item?: number }>;
  /** Stored observations (refused captures, verifies) it rests on. */
  observations: number[];
}

/** What a detector reports; becomes an alert once, keyed by (detector, key). */
export interface Finding {
  /** Identifies the finding within its detector, so a re-run raises nothing twice. */
  key: string;
  subject: string;
  /** The parties the finding is about (they may see the alert). */
  parties: string[];
  severity: Severity;
  summary: string;
  details: JsonObject;
  evidence: Evidence;
  /** ISO: when what it is about happened. */
  observedAt: string;
}

/** One labelled case of a synthetic validation set: the detector's input and the ground truth. */
export interface LabelledCase {
  input: JsonValue;
  truth: boolean;
  /** The scenario the generator drew (for reading the set, not used by the detector). */
  scenario: string;
}

export interface Detector {
  id: string;
  /** Semantic version of the detector's rule; a filing names it. */
  version: string;
  description: string;
  defaults: JsonObject;
  /** Checks (and completes from defaults) filed parameters; throws OVERSIGHT_BAD_PARAMETERS. */
  parameters(input: JsonObject): JsonObject;
  /** Draws `count` labelled cases from the generator. */
  synthetic(rng: SeededRandom, count: number): LabelledCase[];
  /** The pure core on one synthetic case: does it fire? */
  decide(parameters: JsonObject, input: JsonValue): boolean;
  /** Runs over the projections and observations in scope. */
  scan(db: SqlConnection, parameters: JsonObject, scope: Scope): Finding[];
}
