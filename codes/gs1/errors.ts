/** Stable machine-readable codes for everything the GS1 element-string layer rejects. */
export type GS1ErrorCode =
  | 'GS1_SYNTAX'
  | 'GS1_UNKNOWN_AI'
  | 'GS1_TOO_SHORT'
  | 'GS1_TOO_LONG'
  | 'GS1_BAD_CHARACTER'
  | 'GS1_CHECK_DIGIT'
  | 'GS1_BAD_DATE'
  | 'GS1_BAD_TIME'
  | 'GS1_BAD_VALUE'
  | 'GS1_REQUIRES'
  | 'GS1_EXCLUSIVE'
  | 'GS1_CONFLICTING_REPEAT'
  | 'GS1_NOT_GS1_DATA'
  | 'GS1_EMPTY';

export interface GS1ErrorDetails {
  /** The AI concerned, when one is known (without parentheses). */
  ai?: string | null;
  /** The dictionary rule that failed: a component spec (`N14`, `X..20`), a linter (`csum`,
   * `yymmd0`), `req=…`, `ex=…`, `cset82`, or a structural rule (`syntax`, `repeat`). */
  rule: string;
  /** Offset in the input string (or, for validateElements, in the bracketed rendering). */
  position: number;
}

export class GS1Error extends Error {
  readonly code: GS1ErrorCode;
  readonly ai: string | null;
  readonly rule: string;
  readonly position: number;
  /** The message without the trailing code/rule/position summary. */
  readonly detail: string;

  constructor(code: GS1ErrorCode, detail: string, details: GS1ErrorDetails) {
    const ai = details.ai ?? null;
    super(`${ai !== null ? `AI (${ai}): ` : ''}${detail} (position ${details.position}) [${code}, rule ${details.rule}]`);
    this.name = 'GS1Error';
    this.code = code;
    this.ai = ai;
    this.rule = details.rule;
    this.position = details.position;
    this.detail = detail;
  }

  toJSON(): { code: GS1ErrorCode; ai: string | null; rule: string; position: number; message: string } {
    return { code: this.code, ai: this.ai, rule: this.rule, position: this.position, message: this.message };
  }
}
