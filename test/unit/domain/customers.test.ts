import { decisionCustomer, mergeCustomer, paysCustomer, type StoredCustomer } from '../../../src/domain';

const stored: StoredCustomer = { id: 'c1', email: 'a@x.io', country: 'DE', region: null, postalCode: '10115', hasPaidSubscription: true };

describe('mergeCustomer', () => {
  it('a new customer takes the given fields, null for the rest, and is a change', () => {
    expect(mergeCustomer(null, 'c9', { country: 'FR' })).toEqual({
      customer: { id: 'c9', email: null, country: 'FR', region: null, postalCode: null, hasPaidSubscription: false },
      changed: true,
    });
  });
  it('a new customer with nothing given is still a change (the row must be made)', () => {
    expect(mergeCustomer(null, 'c9', {}).changed).toBe(true);
  });
  it('nothing given: the stored customer, unchanged', () => {
    expect(mergeCustomer(stored, 'c1', {})).toEqual({ customer: stored, changed: false });
  });
  it('the same values given: unchanged', () => {
    expect(mergeCustomer(stored, 'c1', { email: 'a@x.io', country: 'DE', region: null, hasPaidSubscription: true }).changed).toBe(false);
  });
  it.each<[keyof StoredCustomer, unknown]>([
    ['email', 'b@x.io'], ['email', null], ['country', 'AT'], ['region', 'BY'], ['postalCode', null],
  ])('%s given as %p: changed, the rest kept', (field, value) => {
    const r = mergeCustomer(stored, 'c1', { [field]: value });
    expect(r).toEqual({ customer: { ...stored, [field]: value }, changed: true });
  });
  it('hasPaidSubscription false overwrites true without stickyPaid', () => {
    expect(mergeCustomer(stored, 'c1', { hasPaidSubscription: false })).toEqual({ customer: { ...stored, hasPaidSubscription: false }, changed: true });
  });
  it('hasPaidSubscription false does not undo true with stickyPaid', () => {
    expect(mergeCustomer(stored, 'c1', { hasPaidSubscription: false }, { stickyPaid: true })).toEqual({ customer: stored, changed: false });
  });
  it('hasPaidSubscription true sets it with stickyPaid', () => {
    const unpaid = { ...stored, hasPaidSubscription: false };
    expect(mergeCustomer(unpaid, 'c1', { hasPaidSubscription: true }, { stickyPaid: true })).toEqual({ customer: stored, changed: true });
  });
});

describe('decisionCustomer', () => {
  it('leaves unknown fields out', () => {
    expect(decisionCustomer(stored)).toEqual({ id: 'c1', email: 'a@x.io', country: 'DE', region: undefined, postalCode: '10115', hasPaidSubscription: true });
  });
});

describe('paysCustomer', () => {
  it.each<[boolean, boolean, boolean]>([
    // paid, trial, marks the customer as having paid
    [true, false, true],
    [true, true, false],
    [false, false, false],
    [false, true, false],
  ])('paid %p, trial %p → %p', (paid, trial, expected) => {
    expect(paysCustomer({ paid, trial })).toBe(expected);
  });
});
