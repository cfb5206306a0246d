import {
  type AppliesTo, customerKindAllowed, emailDomainAllowed, lineInScope, type Plan, planInScope, planMatches,
  regionAllowed, targetLineKinds,
} from '../../../src/domain';
import { PLANS, terms } from './fixtures';

const P = (id: string) => PLANS[id] as Plan;

describe('planInScope', () => {
  it.each<[string, AppliesTo, string[]]>([
    ['all plans', { plans: 'all' }, ['pro-monthly', 'pro-yearly', 'basic-monthly', 'topup-1m', 'course']],
    ['selected plans', { plans: { include: { planIds: ['pro-yearly', 'course'] } } }, ['pro-yearly', 'course']],
    ['all plans except selected', { plans: { exclude: { planIds: ['pro-yearly'] } } }, ['pro-monthly', 'basic-monthly', 'topup-1m', 'course']],
    ['by family', { plans: { include: { families: ['pro'] } } }, ['pro-monthly', 'pro-yearly']],
    ['by billing period (matches a one-time plan with that interval too)', { plans: { include: { intervals: [{ unit: 'month', count: 1 }] } } }, ['pro-monthly', 'basic-monthly', 'topup-1m']],
    ['by billing period, recurring only', { plans: { include: { intervals: [{ unit: 'month', count: 1 }] } }, planKinds: ['recurring'] }, ['pro-monthly', 'basic-monthly']],
    ['except by billing period', { plans: { exclude: { intervals: [{ unit: 'year', count: 1 }] } } }, ['pro-monthly', 'basic-monthly', 'topup-1m', 'course']],
    ['interval unit and count both matter', { plans: { include: { intervals: [{ unit: 'month', count: 12 }] } } }, []],
    ['one-time plans only', { plans: 'all', planKinds: ['one_time'] }, ['topup-1m', 'course']],
    ['lists are OR-ed inside a match', { plans: { include: { planIds: ['course'], families: ['basic'] } } }, ['basic-monthly', 'course']],
    ['exclusion wins', { plans: { include: { families: ['pro'] }, exclude: { planIds: ['pro-monthly'] } } }, ['pro-yearly']],
    ['an include without lists is no include', { plans: { include: {}, exclude: {} } }, ['pro-monthly', 'pro-yearly', 'basic-monthly', 'topup-1m', 'course']],
    ['an empty list matches nothing', { plans: { include: { planIds: [] } } }, []],
    ['empty planKinds allows nothing', { plans: 'all', planKinds: [] }, []],
  ])('%s', (_name, appliesTo, want) => {
    expect(Object.keys(PLANS).filter((id) => planInScope(appliesTo, P(id)))).toEqual(want);
  });

  it('a plan without family or interval matches no family or interval rule', () => {
    expect(planMatches({ families: ['pro'], intervals: [{ unit: 'month', count: 1 }] }, P('course'))).toBe(false);
    expect(planMatches({}, P('course'))).toBe(false);
  });
});

describe('lineInScope and targetLineKinds', () => {
  it('defaults to every kind but shipping; free_shipping targets shipping only', () => {
    expect(targetLineKinds(terms())).toEqual(['recurring', 'setup_fee', 'component', 'one_time']);
    expect(targetLineKinds(terms({ discount: { type: 'free_shipping' } }))).toEqual(['shipping']);
    expect(targetLineKinds(terms({ appliesTo: { plans: 'all', lineKinds: ['recurring'] } }))).toEqual(['recurring']);
  });
  it('needs both the kind and the plan in scope', () => {
    const t = terms({ appliesTo: { plans: { include: { families: ['pro'] } } } });
    expect(lineInScope(t, { kind: 'recurring' }, P('pro-monthly'))).toBe(true);
    expect(lineInScope(t, { kind: 'shipping' }, P('pro-monthly'))).toBe(false);
    expect(lineInScope(t, { kind: 'recurring' }, P('basic-monthly'))).toBe(false);
  });
});

describe('emailDomainAllowed', () => {
  it.each<[string[] | undefined, string | null | undefined, boolean]>([
    [undefined, undefined, true],
    [undefined, 'a@b.com', true],
    [['example.com'], 'ann@example.com', true],
    [['example.com'], 'Ann@EXAMPLE.COM', true],
    [['EXAMPLE.com'], 'ann@example.com', true],
    [['example.com'], ' ann@example.com ', true],
    [['example.com'], 'ann@sales.example.com', false],
    [['example.com'], 'ann@notexample.com', false],
    [['*.example.com'], 'ann@sales.example.com', true],
    [['*.example.com'], 'ann@a.b.example.com', true],
    [['*.example.com'], 'ann@example.com', false],
    [['*.example.com'], 'ann@badexample.com', false],
    [['@company.com'], 'bob@company.com', true],
    [['other.org', 'company.com'], 'bob@company.com', true],
    [[], 'bob@company.com', false],
    [['company.com'], undefined, false],
    [['company.com'], null, false],
    [['company.com'], 'no-at-sign', false],
    [['company.com'], '@company.com', false],
    [['company.com'], 'bob@', false],
    [['company.com'], 'weird@name@company.com', true],
  ])('%p allows %p: %p', (domains, email, want) => {
    expect(emailDomainAllowed(domains, email)).toBe(want);
  });
});

describe('regionAllowed', () => {
  const ca = { country: 'US', regions: ['US-CA'] };
  const sf = { country: 'US', regions: ['US-CA'], postalPrefixes: ['941'] };
  const london = { country: 'GB', postalPrefixes: ['SW1A', 'EC'] };
  it.each<[string, Parameters<typeof regionAllowed>[0], Parameters<typeof regionAllowed>[1], boolean]>([
    ['no rules', undefined, {}, true],
    ['empty rule list', [], { country: 'US' }, false],
    ['country only', [{ country: 'US' }], { country: 'US' }, true],
    ['country case-insensitive', [{ country: 'us' }], { country: 'US' }, true],
    ['other country', [{ country: 'US' }], { country: 'CA' }, false],
    ['no country', [{ country: 'US' }], {}, false],
    ['state matches', [ca], { country: 'US', region: 'us-ca' }, true],
    ['other state', [ca], { country: 'US', region: 'US-NY' }, false],
    ['state missing', [ca], { country: 'US' }, false],
    ['state and zip prefix', [sf], { country: 'US', region: 'US-CA', postalCode: '94107' }, true],
    ['right state, wrong zip', [sf], { country: 'US', region: 'US-CA', postalCode: '90210' }, false],
    ['zip missing', [sf], { country: 'US', region: 'US-CA' }, false],
    ['UK postcode with a space', [london], { country: 'GB', postalCode: 'sw1a 1aa' }, true],
    ['second prefix', [london], { country: 'GB', postalCode: 'EC1A 1BB' }, true],
    ['any of several rules', [ca, london], { country: 'GB', postalCode: 'EC1A 1BB' }, true],
    ['none of several rules', [ca, london], { country: 'GB', postalCode: 'M1 1AE' }, false],
  ])('%s', (_name, rules, customer, want) => {
    expect(regionAllowed(rules, customer)).toBe(want);
  });
});

describe('customerKindAllowed', () => {
  it.each<['any' | 'new' | 'existing' | undefined, boolean, boolean]>([
    [undefined, false, true], [undefined, true, true], ['any', true, true], ['any', false, true],
    ['new', false, true], ['new', true, false], ['existing', true, true], ['existing', false, false],
  ])('%p with hasPaidSubscription=%p → %p', (kind, paid, want) => {
    expect(customerKindAllowed(kind, { hasPaidSubscription: paid })).toBe(want);
  });
});
