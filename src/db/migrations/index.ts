import { Migration20261122000000_initial } from './Migration20261122000000_initial';

/** Every migration, in order. New migrations are appended here. */
export const migrationsList = [
  { name: 'Migration20261122000000_initial', class: Migration20261122000000_initial },
];
