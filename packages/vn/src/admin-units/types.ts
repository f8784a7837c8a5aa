/** Administrative units before and after the reorganisation of 1 July 2025. */
export type Era = 'PRE_2025' | 'CURRENT';
export type UnitLevel = 'province' | 'district' | 'commune';

export interface AdminUnit {
  level: UnitLevel;
  /** Zero-padded string: provinces 2 digits, districts 3, communes 5. */
  code: string;
  /** Name without the unit-type word ("Lâm Bình"). NFC, spelled as the source spells it. */
  name: string;
  /** Unit-type word in lower case (tỉnh, thành phố, huyện, xã, phường, thị trấn), when known. */
  type: string | undefined;
  /** Province code of a district or current commune, district code of a pre-2025 commune. */
  parentCode: string | undefined;
  era: Era;
  /** First day valid (ISO), undefined when before the data's horizon. */
  validFrom: string | undefined;
  /** Last day valid (ISO), undefined while in force. */
  validTo: string | undefined;
}

/** How an old commune went into a new one, from the NSO conversion table's "Ghi chú". */
export type ChangeKind = 'MERGED_WHOLE' | 'MERGED_PART' | 'UNCHANGED' | 'OTHER';

export interface CommuneMapping {
  oldCode: string;
  oldName: string;
  newCode: string;
  newName: string;
  oldDistrictCode: string;
  oldProvinceCode: string;
  /** The source wording, e.g. "Nhập toàn bộ", "Nhập một phần", "Giữ nguyên". */
  change: string;
  changeKind: ChangeKind;
  remark: string;
}

export interface AdminCatalogue {
  units: AdminUnit[];
  mappings: CommuneMapping[];
  /** First day of the current era: 2025-07-01. */
  reformDate: string;
  /** Date whose state the pre-2025 tables show (2025-03-01); earlier changes are not modelled. */
  pre2025SnapshotDate: string;
}

export function changeKindOf(change: string): ChangeKind {
  const text = change.normalize('NFC').toLowerCase().trim();
  if (text === 'nhập toàn bộ') return 'MERGED_WHOLE';
  if (text === 'nhập một phần') return 'MERGED_PART';
  if (text === 'giữ nguyên') return 'UNCHANGED';
  return 'OTHER';
}
