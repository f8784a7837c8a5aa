import { businessKind } from './domain/business.kind.js';
import { citizenKind } from './domain/citizen.kind.js';
import { dossierKind } from './domain/dossier.kind.js';
import type { EntityKind } from './domain/entity-kind.js';
import type { EntityType } from './domain/types.js';

export const KINDS: Readonly<Record<EntityType, EntityKind>> = {
  citizen: citizenKind as unknown as EntityKind,
  business: businessKind as unknown as EntityKind,
  dossier: dossierKind as unknown as EntityKind,
};
