import type { AppContext } from '../context';
import { upsertCustomer, type CustomerFieldsInput, type CustomerView } from '../repositories/customers';

/** Customers: PUT registers or updates one (fields left out keep their value). */
export function putCustomer(ctx: AppContext, accountId: string, id: string, input: CustomerFieldsInput): Promise<CustomerView> {
  return upsertCustomer(ctx.orm.em.fork(), accountId, id, input);
}
