import { defineRoute } from '../route';
import { Account, AccountCreate, AccountCreated, AccountPatch, Customer, CustomerPut, IdParams, Plan, PlanListQuery, PlanPage, PlanPut } from '../../contracts/accounts';
import { createAccount, updateAccount } from '../../services/account';
import { listPlans, putPlan } from '../../services/plans';
import { putCustomer } from '../../services/customers';
import type { z } from '../openapi';

export const accountRoutes = [
  defineRoute<z.infer<typeof AccountCreate>>({
    method: 'post',
    path: '/v1/accounts',
    auth: 'platform',
    summary: 'Create an account (platform admin token); answers its first API key once',
    tags: ['accounts'],
    body: AccountCreate,
    responses: { 201: { description: 'created', schema: AccountCreated } },
    handler: async ({ ctx, caller, body }) => {
      const created = await createAccount(ctx, body, caller!);
      return { status: 201, body: created };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/account',
    auth: 'account',
    scope: 'any',
    summary: 'The calling key’s account',
    tags: ['accounts'],
    responses: { 200: { description: 'the account', schema: Account } },
    handler: async ({ account }) => ({ status: 200, body: account }),
  }),
  defineRoute<z.infer<typeof AccountPatch>>({
    method: 'patch',
    path: '/v1/account',
    auth: 'account',
    scope: 'account:write',
    summary: 'Change the account; a new time zone moves no existing coupon’s boundaries',
    tags: ['accounts'],
    body: AccountPatch,
    responses: { 200: { description: 'the account', schema: Account } },
    handler: async ({ ctx, account, caller, body }) => ({ status: 200, body: await updateAccount(ctx, account.id, body, caller!) }),
  }),
  defineRoute<z.infer<typeof PlanPut>, undefined, z.infer<typeof IdParams>>({
    method: 'put',
    path: '/v1/plans/:id',
    auth: 'account',
    scope: 'coupons:write',
    summary: 'Register or replace a plan',
    tags: ['accounts'],
    params: IdParams,
    body: PlanPut,
    responses: { 200: { description: 'the plan', schema: Plan } },
    handler: async ({ ctx, account, caller, params, body }) => ({ status: 200, body: await putPlan(ctx, account.id, params.id, body, caller!) }),
  }),
  defineRoute<undefined, z.infer<typeof PlanListQuery>>({
    method: 'get',
    path: '/v1/plans',
    auth: 'account',
    scope: 'coupons:read',
    summary: 'The account’s plans, in id order',
    tags: ['accounts'],
    query: PlanListQuery,
    responses: { 200: { description: 'a page of plans', schema: PlanPage } },
    handler: async ({ ctx, account, query }) => ({ status: 200, body: await listPlans(ctx, account.id, query) }),
  }),
  defineRoute<z.infer<typeof CustomerPut>, undefined, z.infer<typeof IdParams>>({
    method: 'put',
    path: '/v1/customers/:id',
    auth: 'account',
    scope: 'coupons:write',
    summary: 'Register or update a customer (fields left out keep their value)',
    tags: ['accounts'],
    params: IdParams,
    body: CustomerPut,
    responses: { 200: { description: 'the customer', schema: Customer } },
    handler: async ({ ctx, account, params, body }) => ({
      status: 200,
      body: await putCustomer(ctx, account.id, params.id, body),
    }),
  }),
];
