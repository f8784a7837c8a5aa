import type { EntityType, MasterRow, MasterStatus } from '../domain/types.js';

export const MASTER_TABLE: Readonly<Record<EntityType, string>> = {
  citizen: 'citizens',
  business: 'businesses',
  dossier: 'dossiers',
};

export interface MasterDbRow {
  master_id: string;
  seq: string | number;
  status: MasterStatus;
  version: string | number;
  merged_into: string | null;
  merged_from: string[];
  golden: Record<string, unknown> | null;
  lineage_hash: string | null;
}

export function toMasterRow(type: EntityType, r: MasterDbRow): MasterRow {
  return {
    masterId: r.master_id,
    entityType: type,
    status: r.status,
    version: Number(r.version),
    mergedInto: r.merged_into,
    mergedFrom: r.merged_from,
    golden: r.golden,
    seq: Number(r.seq),
    lineageHash: r.lineage_hash,
  };
}

/** 64-bit advisory-lock key of a text key (FNV-1a), as a signed bigint string for PostgreSQL. */
export function lockId(key: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(key, 'utf8')) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, h);
}
