import { ValidationError } from '@hub/errors';
import { classifyPersonIdentifier, compactDigits, parseTaxCode, type Problem } from '@hub/vn';

/**
 * Keys of the alias table. A person is found by the personal number or any legacy CMND number
 * (`PID:…`, `CMND9:…`, from @hub/vn's classifier); a business by its enterprise/tax code
 * (`TAX:…`, canonical form); a dossier by its code (`DOSSIER:…`, upper case). Stored identifiers
 * that do not parse are kept verbatim under `RAW:` so nothing the consolidation sends is dropped.
 */
export function personAliasKey(identifier: string): string {
  const c = classifyPersonIdentifier(identifier);
  return c.ok ? c.value.aliasKey : `RAW:${compactDigits(identifier)}`;
}

export function businessAliasKey(code: string): string {
  const t = parseTaxCode(code);
  return t.ok ? `TAX:${t.value.canonical}` : `RAW:${code.trim().toUpperCase()}`;
}

export function dossierAliasKey(code: string): string {
  return `DOSSIER:${code.trim().toUpperCase()}`;
}

function invalid(param: string, problems: readonly Problem[]): ValidationError {
  return new ValidationError(`${param} is not valid: ${problems.map((p) => p.message).join('; ')}`, {
    details: problems.map((p) => ({ field: param, problem: p.message, ...(p.hint ? { hint: p.hint } : {}) })),
  });
}

/** The alias key of a person identifier given in a request; 400 naming the problem otherwise. */
export function personLookupKey(input: string): string {
  const c = classifyPersonIdentifier(input);
  if (!c.ok) throw invalid('identifier', c.problems);
  return c.value.aliasKey;
}

export function businessLookupKey(input: string): string {
  const t = parseTaxCode(input);
  if (!t.ok) throw invalid('enterpriseCode', t.problems);
  return `TAX:${t.value.canonical}`;
}

const DOSSIER_CODE = /^[A-Z0-9.]{1,40}-\d{6}-\d{1,10}$/;

export function dossierLookupKey(input: string): string {
  const code = input.trim().toUpperCase();
  if (!DOSSIER_CODE.test(code)) {
    throw new ValidationError('dossierCode is not valid: expected {agency code}-{YYMMDD}-{sequence}', {
      details: [{ field: 'dossierCode', problem: 'wrong shape', hint: 'example: 000.00.01.H60-250715-0001' }],
    });
  }
  return dossierAliasKey(code);
}
