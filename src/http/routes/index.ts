import type { RouteDef } from '../route';
import { accountRoutes } from './accounts';
import { jobRoutes } from './jobs';

/** Every /v1 route; each feature adds its list here. */
export const routes: RouteDef[] = [...accountRoutes, ...jobRoutes];
