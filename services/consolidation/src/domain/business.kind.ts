import type { ErrorDetail } from '@hub/errors';
import type { BusinessObserved } from '@hub/schemas';
import { foldKey, jaroWinkler, parseTaxCode } from '@hub/vn';
import type { EntityKind } from './entity-kind.js';
import { sumWeights, type Agreement, type FieldWeights } from './fellegi-sunter.js';
import { compareSets } from './citizen-matching.js';
import type { AttributeSpec } from './survivorship.js';
import type { Identifier, LinkSpec } from './types.js';

export const BUSINESS_WEIGHTS: Readonly<Record<string, FieldWeights>> = {
  name: { m: 0.95, u: 0.0005, partial: { m: 0.04, u: 0.005 } },
  commune: { m: 0.85, u: 0.01 },
  representative: { m: 0.9, u: 0.00001 },
  registeredOn: { m: 0.9, u: 0.0003 },
};

function enterpriseId(raw: string): Identifier | ErrorDetail {
  const parsed = parseTaxCode(raw);
  if (!parsed.ok) {
    const p = parsed.problems[0];
    return { problem: p?.message ?? 'not an enterprise code', ...(p?.hint ? { hint: p.hint } : {}) };
  }
  return { scheme: 'ENT', value: parsed.value.canonical };
}

const isIdentifier = (x: Identifier | ErrorDetail): x is Identifier => 'scheme' in x;
const blank = (s: string | null): boolean => s === null || s.trim() === '';

function communes(o: BusinessObserved): string[] {
  const a = o.address;
  if (!a) return [];
  return a.currentCommuneCodes.length ? [...a.currentCommuneCodes] : a.communeCode ? [a.communeCode] : [];
}

function compareBusinessNames(a: string | null, b: string | null): Agreement {
  if (blank(a) || blank(b)) return 'missing';
  const s = jaroWinkler(foldKey(a ?? ''), foldKey(b ?? ''));
  return s >= 0.97 ? 'agree' : s >= 0.9 ? 'partial' : 'disagree';
}

const registration = (
  name: string,
  extract: (o: BusinessObserved) => unknown,
): AttributeSpec<BusinessObserved> => ({
  name,
  group: 'businessRegistration',
  extract,
});

export const businessKind: EntityKind<BusinessObserved> = {
  type: 'business',
  validate(o) {
    const problems: ErrorDetail[] = [];
    if (o.enterpriseCode !== null) {
      const id = enterpriseId(o.enterpriseCode);
      if (!isIdentifier(id)) problems.push({ ...id, field: '/enterpriseCode' });
    }
    if (o.operation === 'UPSERT' && o.enterpriseCode === null && blank(o.name)) {
      problems.push({
        field: '/name',
        problem: 'a business observation needs an enterprise code or a name',
        hint: 'send at least one of them',
      });
    }
    return problems;
  },
  identifiers(o) {
    if (o.enterpriseCode === null) return [];
    const id = enterpriseId(o.enterpriseCode);
    return isIdentifier(id) ? [id] : [];
  },
  primaryScheme: 'ENT',
  primary: (o) => businessKind.identifiers(o)[0] ?? null,
  blockingKeys(o) {
    if (blank(o.name)) return [];
    const name = foldKey(o.name ?? '');
    return [
      `bn:${name}`,
      ...communes(o)
        .slice(0, 2)
        .map((c) => `bc:${name.split(' ').slice(-2).join(' ')}:${c}`),
    ];
  },
  score(a, b) {
    const rep: Agreement =
      a.representativePersonalId === null || b.representativePersonalId === null
        ? 'missing'
        : a.representativePersonalId === b.representativePersonalId
          ? 'agree'
          : 'disagree';
    const reg: Agreement =
      a.registeredOn === null || b.registeredOn === null
        ? 'missing'
        : a.registeredOn === b.registeredOn
          ? 'agree'
          : 'disagree';
    return sumWeights(BUSINESS_WEIGHTS, {
      name: compareBusinessNames(a.name, b.name),
      commune: compareSets(communes(a), communes(b)),
      representative: rep,
      registeredOn: reg,
    });
  },
  attributes: [
    registration('enterpriseCode', (o) =>
      o.enterpriseCode === null ? null : (businessKind.identifiers(o)[0]?.value ?? null),
    ),
    registration('kind', (o) => o.kind),
    registration('name', (o) => o.name),
    registration('legalForm', (o) => o.legalForm),
    registration('status', (o) => (o.status === 'UNKNOWN' ? null : o.status)),
    registration('address', (o) => o.address),
    registration('representativePersonalId', (o) => o.representativePersonalId),
    registration('parentEnterpriseCode', (o) => o.parentEnterpriseCode),
    registration('registeredOn', (o) => o.registeredOn),
    registration('industryCodes', (o) => o.industryCodes),
  ],
  links(g) {
    const links: LinkSpec[] = [];
    const rep = g.representativePersonalId;
    if (typeof rep === 'string' && rep !== '')
      links.push({
        relation: 'REPRESENTATIVE',
        targetType: 'citizen',
        target: { scheme: 'PID', value: rep },
      });
    const code = g.enterpriseCode;
    if (g.kind === 'HOUSEHOLD_BUSINESS' && typeof code === 'string' && /^\d{12}$/.test(code)) {
      // Since 1/7/2025 a household business's tax code is its owner's personal number.
      links.push({
        relation: 'HOUSEHOLD_OWNER',
        targetType: 'citizen',
        target: { scheme: 'PID', value: code },
      });
    }
    const parent = g.parentEnterpriseCode;
    if (typeof parent === 'string' && parent !== '')
      links.push({
        relation: 'PARENT_ENTERPRISE',
        targetType: 'business',
        target: { scheme: 'ENT', value: parent },
      });
    return links;
  },
  golden(values, ctx) {
    return {
      enterpriseCode: values.enterpriseCode ?? null,
      kind: values.kind ?? 'OTHER',
      name: values.name ?? null,
      legalForm: values.legalForm ?? null,
      status: values.status ?? null,
      address: values.address ?? null,
      representativeMasterId: ctx.links.get('REPRESENTATIVE') ?? ctx.links.get('HOUSEHOLD_OWNER') ?? null,
      parentMasterId: ctx.links.get('PARENT_ENTERPRISE') ?? null,
      registeredOn: values.registeredOn ?? null,
      industryCodes: values.industryCodes ?? [],
      sources: ctx.sources,
      // Kept for links; not part of the Avro golden record.
      representativePersonalId: values.representativePersonalId ?? null,
      parentEnterpriseCode: values.parentEnterpriseCode ?? null,
    };
  },
};
