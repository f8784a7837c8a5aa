import { foldAccents } from '../text/fold.js';
import { compactDigits, fail, ok, problem, type ParseResult } from '../problem.js';
import { parsePersonalId, type ParsePersonalIdOptions, type PersonalId } from './personal-id.js';

/**
 * - `CCCD`: a 12-digit number declared as a personal number / CCCD (label or option).
 * - `CMND12_OR_CCCD`: 12 digits with no declaration. A 12-digit CMND kept its number on the CCCD, so
 *   the digits are the personal number either way.
 * - `CMND9`: a legacy 9-digit CMND. It is never a personal number: record it as an alias.
 */
export type PersonIdentifierKind = 'CCCD' | 'CMND9' | 'CMND12_OR_CCCD';

export interface PersonIdentifier {
  kind: PersonIdentifierKind;
  /** The digits as entered, without separators or label. */
  digits: string;
  /** The 12-digit personal number when the kind has one; undefined for CMND9. */
  personalNumber: string | undefined;
  /** Parsed personal number when it passed `parsePersonalId`. */
  personalId: PersonalId | undefined;
  /** Key for an alias table; the prefix keeps CMND-9 and personal numbers apart (`CMND9:…`, `PID:…`). */
  aliasKey: string;
}

export type DeclaredDocument = 'CCCD' | 'CMND';

export interface ClassifyPersonIdentifierOptions extends ParsePersonalIdOptions {
  /** What the source system says the document is, when it says. A label in the text also counts. */
  declared?: DeclaredDocument;
}

const CCCD_LABELS = ['cccd', 'can cuoc cong dan', 'can cuoc', 'so dinh danh', 'ddcn', 'dinh danh ca nhan'];
const CMND_LABELS = ['cmnd', 'cmt', 'chung minh nhan dan', 'chung minh thu'];

function labelOf(text: string): { declared: DeclaredDocument | undefined; rest: string } {
  const cut = text.search(/\d/);
  if (cut <= 0) return { declared: undefined, rest: text };
  const label = foldAccents(text.slice(0, cut))
    .toLowerCase()
    .replace(/[^a-z]+/g, ' ')
    .trim();
  const rest = text.slice(cut);
  const isCmnd = CMND_LABELS.some((l) => label.includes(l));
  const isCccd = CCCD_LABELS.some((l) => label.includes(l));
  if (isCmnd && isCccd) return { declared: undefined, rest }; // "CMND/CCCD": a combined field says nothing
  if (isCmnd) return { declared: 'CMND', rest };
  if (isCccd) return { declared: 'CCCD', rest };
  return { declared: undefined, rest: label === '' ? rest : text };
}

/**
 * Classifies a person number from a form or legacy record: CCCD / 12-digit personal number, a
 * 12-digit CMND (same number), or a 9-digit CMND. Accepts labels such as "CMND: 123 456 789".
 */
export function classifyPersonIdentifier(
  input: string,
  options: ClassifyPersonIdentifierOptions = {},
): ParseResult<PersonIdentifier> {
  const { declared: labelled, rest } = labelOf(input.normalize('NFC').trim());
  const declared = options.declared ?? labelled;
  const digits = compactDigits(rest).replace(/[-:#]/g, '');
  if (!/^\d+$/.test(digits)) {
    return fail([
      problem('NOT_DIGITS', `expected a 9- or 12-digit number; got "${input}"`, {
        field: 'personIdentifier',
        hint: 'keep only the number (a label such as "CCCD:" or "CMND" in front is allowed)',
      }),
    ]);
  }
  if (digits.length === 9) {
    if (declared === 'CCCD') {
      return fail([
        problem(
          'CCCD_WITH_9_DIGITS',
          'the document is declared a CCCD, but a CCCD number has 12 digits; 9 digits is a CMND',
          {
            field: 'personIdentifier',
            hint: 'record the 9-digit number as a CMND alias and ask for the 12-digit number',
          },
        ),
      ]);
    }
    return ok({
      kind: 'CMND9',
      digits,
      personalNumber: undefined,
      personalId: undefined,
      aliasKey: `CMND9:${digits}`,
    });
  }
  if (digits.length === 12) {
    const parsed = parsePersonalId(digits, options);
    if (!parsed.ok) return parsed;
    const kind: PersonIdentifierKind = declared === 'CCCD' ? 'CCCD' : 'CMND12_OR_CCCD';
    return ok({ kind, digits, personalNumber: digits, personalId: parsed.value, aliasKey: `PID:${digits}` });
  }
  return fail([
    problem('WRONG_LENGTH', `a CMND has 9 or 12 digits and a personal number 12; got ${digits.length}`, {
      field: 'personIdentifier',
      hint:
        digits.length === 8
          ? 'a leading zero may have been dropped by a spreadsheet; check the source'
          : 'check for missing or extra digits',
    }),
  ]);
}
