import { defineRoute } from '../route';
import type { z } from '../openapi';
import { ValidateRequest, ValidateResponse } from '../../contracts/redemptions';
import { validateCode } from '../../services/validation';

export const validateRoutes = [
  defineRoute<z.infer<typeof ValidateRequest>>({
    method: 'post',
    path: '/v1/codes/validate',
    auth: 'account',
    scope: 'redemptions:validate',
    summary: 'Run the whole redemption decision without redeeming or counting (the customer is upserted)',
    tags: ['redemptions'],
    body: ValidateRequest,
    responses: { 200: { description: 'valid, or not with the refusal', schema: ValidateResponse } },
    errors: [429],
    handler: async ({ ctx, account, apiKeyId, body }) => ({ status: 200, body: await validateCode(ctx, account.id, apiKeyId, body) }),
  }),
];
