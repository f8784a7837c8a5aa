import fc from 'fast-check';

/**
 * `FC_SEED=<n>` replays a reported failure; under CI the seed is fixed; otherwise fast-check draws
 * one per run and prints it with any counterexample. A counterexample found is kept as a table test.
 */
const fixed = process.env.FC_SEED ?? (process.env.CI ? '20261127' : undefined);
if (fixed !== undefined) fc.configureGlobal({ seed: Number(fixed) });
