import type { ErrorDetail } from '@hub/errors';
import type { SourceRef, StatusChange } from '@hub/schemas';
import type { ScoredComparison } from './fellegi-sunter.js';
import type { AttributeSpec } from './survivorship.js';
import type { EntityType, Identifier, LinkSpec, Observation } from './types.js';

/** Facts a golden record needs beyond the surviving attribute values. */
export interface GoldenContext {
  readonly sources: readonly SourceRef[];
  readonly mergedFrom: readonly string[];
  /** Strong identifiers held by the entity's source records. */
  readonly identifiers: readonly Identifier[];
  /** Resolved link targets by relation (null while the target is not yet known). */
  readonly links: ReadonlyMap<string, string | null>;
  /** Dossiers: every status any source reported, in time order. */
  readonly timeline: readonly StatusChange[];
}

/**
 * What consolidation needs to know about one master dataset. The resolver, the survivorship engine
 * and the store are generic; everything entity-specific lives behind this interface.
 */
export interface EntityKind<O extends Observation = Observation> {
  readonly type: EntityType;
  /** Problems that make the observation unusable (dead-lettered with these details). */
  validate(o: O): ErrorDetail[];
  /** Strong identifiers, canonical (the primary one included). */
  identifiers(o: O): Identifier[];
  /**
   * The scheme of the entity's own number (personal number, enterprise code, dossier code). Two
   * entities holding different values of it are never merged automatically.
   */
  readonly primaryScheme: string;
  /** The observation's own number, when it states one (not a legacy alias). */
  primary(o: O): Identifier | null;
  /** Keys for probabilistic candidates; empty when this kind matches on identifiers only. */
  blockingKeys(o: O): string[];
  /** Fellegi–Sunter comparison of two observations (undefined: no probabilistic matching). */
  score?(a: O, b: O): ScoredComparison;
  readonly attributes: readonly AttributeSpec<O>[];
  links(golden: Record<string, unknown>): LinkSpec[];
  golden(values: Record<string, unknown>, ctx: GoldenContext): Record<string, unknown>;
}
