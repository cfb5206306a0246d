import { defineRoute, type RouteDef } from '../route';
import type { z } from '../openapi';
import { AuditLogQuery, AuditRecordPage } from '../../contracts/audit';
import { listAuditLog } from '../../services/audit-log';

export const auditLogRoutes: RouteDef[] = [
  defineRoute<undefined, z.infer<typeof AuditLogQuery>>({
    method: 'get',
    path: '/v1/audit-log',
    auth: 'account',
    scope: 'audit:read',
    summary: 'Who changed what, newest first: one record per change made through the API or by the service itself',
    tags: ['audit log'],
    query: AuditLogQuery,
    responses: { 200: { description: 'a page of records', schema: AuditRecordPage } },
    handler: async ({ ctx, account, query }) => ({ status: 200, body: await listAuditLog(ctx, account.id, query) }),
  }),
];
