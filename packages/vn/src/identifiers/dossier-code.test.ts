import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAgencyCode } from './agency-code.js';
import { formatDossierCode, isRealDate, parseDossierCode } from './dossier-code.js';

describe('parseAgencyCode', () => {
  it('reads the full form and the inferred province of H60', () => {
    const result = parseAgencyCode('000.00.00.h60');
    expect(result).toMatchObject({
      ok: true,
      value: {
        canonical: '000.00.00.H60',
        levelOne: 'H60',
        fullForm: true,
        province: { provinceName: 'Tuyên Quang', status: 'inferred' },
      },
    });
    expect(result.ok && result.value.warnings.map((w) => w.code)).toEqual(['INFERRED_PROVINCE_CODE']);
  });

  it('accepts an observed province without warnings', () => {
    expect(parseAgencyCode('000.00.00.H49')).toMatchObject({
      ok: true,
      value: { warnings: [], province: { status: 'observed' } },
    });
  });

  it('tolerates the short form 38.98.H29 with warnings', () => {
    const result = parseAgencyCode('38.98.H29');
    expect(result.ok && result.value.warnings.map((w) => w.code)).toEqual([
      'NON_STANDARD_SHAPE',
      'UNKNOWN_PROVINCE_CODE',
    ]);
  });

  it.each(['', '000.00.00.60', '000..00.H60', '000-00-00-H60', '000.00.00.HH6'])('rejects %j', (input) => {
    expect(parseAgencyCode(input).ok).toBe(false);
  });
});

describe('parseDossierCode', () => {
  it.each([
    ['38.98.H29-210519-0013', '2021-05-19', 13],
    ['000.00.01.H29-240115-0001', '2024-01-15', 1],
    ['000.00.00.H60-240229-9999', '2024-02-29', 9999],
  ])('%s', (input, receivedOn, sequence) => {
    expect(parseDossierCode(input)).toMatchObject({ ok: true, value: { receivedOn, sequence } });
  });

  it.each([
    ['000.00.00.H60-250229-0001', 'DATE_NOT_REAL'],
    ['000.00.00.H60-251301-0001', 'DATE_NOT_REAL'],
    ['000.00.00.H60-25071-0001', 'DATE_WRONG_LENGTH'],
    ['000.00.00.H60-250701-001', 'SEQUENCE_WRONG_LENGTH'],
    ['000.00.00.H60/250701/0001', 'WRONG_SHAPE'],
    ['000.00.00.60-250701-0001', 'INVALID_LEVEL_ONE'],
  ])('%s → %s', (input, code) => {
    const result = parseDossierCode(input);
    expect(result.ok ? [] : result.problems.map((p) => p.code)).toContain(code);
  });

  it('allows a configured sequence width', () => {
    expect(parseDossierCode('000.00.00.H60-250701-000123', { sequenceLength: 6 }).ok).toBe(true);
  });

  it('property: format then parse gives back the agency, date and sequence', () => {
    const dateArb = fc
      .record({
        y: fc.integer({ min: 2000, max: 2099 }),
        m: fc.integer({ min: 1, max: 12 }),
        d: fc.integer({ min: 1, max: 31 }),
      })
      .filter(({ y, m, d }) => isRealDate(y, m, d))
      .map(({ y, m, d }) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
    const agencyArb = fc.constantFrom(
      '000.00.00.H60',
      '000.00.01.H29',
      '38.98.H29',
      '123.45.67.H22',
      '000.00.00.G01',
    );
    fc.assert(
      fc.property(agencyArb, dateArb, fc.integer({ min: 0, max: 9999 }), (agency, date, sequence) => {
        const code = formatDossierCode(agency, date, sequence);
        expect(parseDossierCode(code)).toMatchObject({
          ok: true,
          value: { canonical: code, receivedOn: date, sequence, agency: { canonical: agency } },
        });
      }),
    );
  });
});
