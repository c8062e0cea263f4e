/** Shapes of the generated GS1 Application Identifier table (see generate-ai-table.ts). */

/** N: digits; X: GS1 CSET 82; Y: GS1 CSET 39; Z: base64url (CSET 64). */
export type CharacterSet = 'N' | 'X' | 'Y' | 'Z';

/** One component of an AI's data field, e.g. `N6,yymmd0` or `[X..17]`. */
export interface AIComponent {
  readonly cset: CharacterSet;
  readonly min: number;
  readonly max: number;
  /** `[...]` in the dictionary: may be absent once the data is exhausted. */
  readonly optional: boolean;
  /** Names of the dictionary's linter procedures applied to this component, in order. */
  readonly linters: readonly string[];
}

export interface AIEntry {
  readonly ai: string;
  readonly title: string;
  /** Flag `*`: predefined length, no FNC1 separator needed after it. */
  readonly predefinedLength: boolean;
  /** Flag `?`: permitted as a GS1 Digital Link data attribute (query parameter). */
  readonly dlDataAttribute: boolean;
  readonly components: readonly AIComponent[];
  /** The specification as written in the dictionary, e.g. `N14,csum,gcppos2`. */
  readonly spec: string;
  readonly minLength: number;
  readonly maxLength: number;
  /**
   * One entry per `req=` attribute (each must hold). Each is a list of alternatives; an
   * alternative is a `+`-joined group of AI patterns (`n` = any digit) that must all be present.
   */
  readonly req: readonly (readonly (readonly string[])[])[];
  /** AI patterns this AI may not appear with (`ex=`). An AI is never exclusive of itself. */
  readonly ex: readonly string[];
  /**
   * `dlpkey`: this AI is a Digital Link primary key; each alternative is an ordered list of
   * optional qualifier AIs (`[[]]` = no qualifiers). null when not a primary key.
   */
  readonly dlpkey: readonly (readonly string[])[] | null;
}
