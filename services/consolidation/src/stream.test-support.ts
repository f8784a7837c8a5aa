import { computeTaxCheckDigit } from '@hub/vn';
import type { EntityType, Observation } from './domain/types.js';
import {
  aBusinessObserved,
  aCitizenObserved,
  aDossierObserved,
  address,
  at,
  day,
  yearOnly,
} from './fixtures.test-support.js';

/** Deterministic pseudo-random numbers (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['Nguyễn Thị Hòa', 'Nguyễn Thị Hoà', 'Trần Văn Bình', 'Lê Thị Lan', 'Phạm Minh Quân'];
const COMMUNES = ['02290', '02287', '02293'];

function enterpriseCode(n: number): string {
  for (let k = n; ; k++) {
    const nine = `01${String(1_000_000 + k).slice(1)}0`.slice(0, 9);
    const check = computeTaxCheckDigit(nine);
    if (check !== undefined && nine.slice(2) !== '0000000') return `${nine}${check}`;
  }
}

/**
 * A seeded stream of citizen, business and dossier observations that exercises every resolution
 * path, cut into batches of the given sizes (cycled) and interleaved by dataset.
 */
export function mixedStream(
  seed: number,
  sizes: readonly number[],
  persons = 40,
): { type: EntityType; values: Observation[] }[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const timed: { minute: number; o: Observation }[] = [];
  const push = (minute: number, o: Observation): void => {
    timed.push({ minute: minute + rnd() * 30, o });
  };
  const pids: string[] = [];
  for (let i = 0; i < persons; i++) {
    const year = 1950 + (i % 7);
    const pid = `0081${String(year).slice(2)}${String(700 + i).padStart(6, '0')}`;
    const cmnd = `07${String(3000 + i).padStart(7, '0')}`;
    pids.push(pid);
    const base = {
      fullName: pick(NAMES),
      dateOfBirth: rnd() < 0.2 ? yearOnly(year) : day(year, (i % 3) + 1, (i % 5) + 1),
      sex: 'FEMALE' as const,
      currentAddress: address(pick(COMMUNES)),
    };
    const m = i * 3;
    switch (i % 7) {
      case 0: // late identifier: two masters, then a restatement with the number merges them
        push(m, aCitizenObserved({ system: 'civil-status', recordId: `cs-${i}`, minute: m, ...base }));
        push(
          m + 1,
          aCitizenObserved({
            system: 'population',
            recordId: `pop-${i}`,
            minute: m + 1,
            personalId: pid,
            legacyIds: [{ kind: 'CMND9', value: cmnd }],
            ...base,
            fullName: 'Đỗ Thị Xuyến',
            dateOfBirth: yearOnly(year),
          }),
        );
        push(
          m + 40,
          aCitizenObserved({
            system: 'civil-status',
            recordId: `cs-${i}`,
            minute: m + 40,
            personalId: pid,
            ...base,
          }),
        );
        break;
      case 1: // alias only
        push(
          m,
          aCitizenObserved({
            system: 'population',
            recordId: `pop-${i}`,
            minute: m,
            personalId: pid,
            legacyIds: [{ kind: 'CMND9', value: cmnd }],
            ...base,
          }),
        );
        push(
          m + 2,
          aCitizenObserved({
            system: 'tax',
            recordId: `tax-${i}`,
            minute: m + 2,
            legacyIds: [{ kind: 'CMND9', value: cmnd }],
            fullName: base.fullName,
          }),
        );
        break;
      case 2: // probabilistic only, sometimes weak (review)
        push(m, aCitizenObserved({ system: 'civil-status', recordId: `cs-${i}`, minute: m, ...base }));
        push(m + 3, aCitizenObserved({ system: 'health', recordId: `h-${i}`, minute: m + 3, ...base }));
        push(
          m + 4,
          aCitizenObserved({
            system: 'social',
            recordId: `s-${i}`,
            minute: m + 4,
            ...base,
            dateOfBirth: yearOnly(year),
          }),
        );
        break;
      case 3: // two numbers sharing one CMND: identifier conflict
        push(
          m,
          aCitizenObserved({
            system: 'population',
            recordId: `pop-${i}`,
            minute: m,
            personalId: pid,
            legacyIds: [{ kind: 'CMND9', value: cmnd }],
            ...base,
          }),
        );
        push(
          m + 1,
          aCitizenObserved({
            system: 'population',
            recordId: `pop-${i}b`,
            minute: m + 1,
            personalId: `0081${String(year).slice(2)}${String(900 + i).padStart(6, '0')}`,
            legacyIds: [{ kind: 'CMND9', value: cmnd }],
            ...base,
          }),
        );
        break;
      case 4: // authoritative sources disagree: attribute conflict; then a correction
        push(
          m,
          aCitizenObserved({
            system: 'population',
            recordId: `pop-${i}`,
            minute: m,
            personalId: pid,
            ...base,
          }),
        );
        push(
          m + 1,
          aCitizenObserved({
            system: 'population',
            recordId: `pop-${i}x`,
            minute: m + 1,
            personalId: pid,
            ...base,
            fullName: 'Hoàng Văn Tám',
          }),
        );
        push(
          m + 50,
          aCitizenObserved({
            system: 'population',
            recordId: `pop-${i}x`,
            minute: m + 50,
            personalId: pid,
            ...base,
          }),
        );
        break;
      case 5: // deleted, and a stale statement after the delete
        push(
          m,
          aCitizenObserved({ system: 'health', recordId: `h-${i}`, minute: m, personalId: pid, ...base }),
        );
        push(
          m + 5,
          aCitizenObserved({ system: 'health', recordId: `h-${i}`, minute: m + 5, operation: 'DELETE' }),
        );
        push(
          m + 6,
          aCitizenObserved({ system: 'health', recordId: `h-${i}`, minute: m + 1, personalId: pid, ...base }),
        );
        break;
      default: // several statements of one record, one of them out of order
        for (const k of [0, 2, 1, 3])
          push(
            m + k,
            aCitizenObserved({
              system: 'population',
              recordId: `pop-${i}`,
              minute: m + k,
              personalId: pid,
              ...base,
              ethnicity: `E${k}`,
            }),
          );
    }
  }
  const businesses: Observation[] = [];
  const codes = Array.from({ length: 12 }, (_, j) => enterpriseCode(100 + j * 37));
  codes.forEach((code, j) => {
    const name = `Công ty TNHH ${['Hòa Bình', 'Minh Quân', 'Sơn Hà'][j % 3]}`;
    const rep = pick(pids);
    businesses.push(
      aBusinessObserved({
        system: 'business-registry',
        recordId: `br-${j}`,
        minute: j,
        enterpriseCode: code,
        name,
        address: address(pick(COMMUNES)),
        representativePersonalId: rep,
        ...(j % 4 === 3 ? { kind: 'BRANCH', parentEnterpriseCode: codes[0] } : {}),
      }),
      aBusinessObserved({
        system: 'tax',
        recordId: `tx-${j}`,
        minute: j + 1,
        name,
        address: address(pick(COMMUNES)),
        representativePersonalId: rep,
      }),
    );
    if (j % 5 === 0)
      businesses.push(
        aBusinessObserved({
          system: 'tax',
          recordId: `hh-${j}`,
          minute: j + 2,
          kind: 'HOUSEHOLD_BUSINESS',
          enterpriseCode: pick(pids),
          name: `Hộ kinh doanh ${j}`,
        }),
      );
  });
  const dossiers: Observation[] = [];
  for (let k = 0; k < 12; k++) {
    const code = `000.00.01.H60-250901-${String(k).padStart(4, '0')}`;
    const applicant =
      k % 3 === 0
        ? { kind: 'BUSINESS' as const, personalId: null, enterpriseCode: pick(codes), name: null }
        : { kind: 'CITIZEN' as const, personalId: pick(pids), enterpriseCode: null, name: null };
    const common = { dossierCode: code, applicant, dueAt: at(k * 10 + 100) };
    dossiers.push(
      aDossierObserved({ system: 'one-stop', recordId: `os-${k}`, minute: k * 10, ...common }),
      aDossierObserved({
        system: 'sector',
        recordId: `sx-${k}`,
        minute: k * 10 + 5,
        ...common,
        status: 'PROCESSING',
      }),
      aDossierObserved({
        system: 'one-stop',
        recordId: `os-${k}`,
        minute: k * 10 + 50,
        ...common,
        status: 'RESULT_RETURNED',
        completedAt: at(k * 10 + 50),
      }),
      aDossierObserved({
        system: 'one-stop',
        recordId: `os-${k}`,
        minute: k * 10 + 2,
        ...common,
        status: 'PROCESSING',
      }),
    );
  }
  const citizens = timed.sort((a, b) => a.minute - b.minute).map((t) => t.o);
  const chunks = (xs: Observation[]): Observation[][] => {
    const out: Observation[][] = [];
    for (let i = 0, s = 0; i < xs.length; s++) {
      const n = sizes[s % sizes.length] ?? 1;
      out.push(xs.slice(i, i + n));
      i += n;
    }
    return out;
  };
  const lists: [EntityType, Observation[][]][] = [
    ['business', chunks(businesses)],
    ['citizen', chunks(citizens)],
    ['dossier', chunks(dossiers)],
  ];
  const batches: { type: EntityType; values: Observation[] }[] = [];
  for (let i = 0; lists.some(([, c]) => i < c.length); i++)
    for (const [type, c] of lists) {
      const values = c[i];
      if (values) batches.push({ type, values });
    }
  return batches;
}
