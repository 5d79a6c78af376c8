import type { Location, LocationRecord } from '../../src/core/exposure.js';

/**
 * A test location written in the flat stored shape (LocationRecord). Some tests feed the stores and renderers
 * records no single Location variant allows (a push without a commit, overrides of another source), as old or
 * hand-edited alert JSON can hold: the one cast from the flat shape to the tagged union lives here.
 */
export function asLocation(record: LocationRecord): Location {
  return record as Location;
}
